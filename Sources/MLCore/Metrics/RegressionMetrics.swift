/// Regression metrics with scikit-learn's definitions.
public enum RegressionMetrics {
    public static func rmse(truth: [Double], predicted: [Double]) -> Double {
        meanSquaredError(truth: truth, predicted: predicted).squareRoot()
    }

    public static func meanSquaredError(truth: [Double], predicted: [Double]) -> Double {
        guard !truth.isEmpty else { return 0 }
        return zip(truth, predicted).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Double(truth.count)
    }

    public static func mae(truth: [Double], predicted: [Double]) -> Double {
        guard !truth.isEmpty else { return 0 }
        return zip(truth, predicted).reduce(0) { $0 + abs($1.0 - $1.1) } / Double(truth.count)
    }

    /// Coefficient of determination. A constant truth gives 1 for a perfect fit, else 0
    /// (scikit-learn's `force_finite=True`).
    public static func r2(truth: [Double], predicted: [Double]) -> Double {
        guard !truth.isEmpty else { return 0 }
        let mean = truth.reduce(0, +) / Double(truth.count)
        let residual = zip(truth, predicted).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
        let total = truth.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }
        guard total > 0 else { return residual == 0 ? 1 : 0 }
        return 1 - residual / total
    }

    /// Mean absolute percentage error as a fraction (0.1 = 10%), dividing by max(|y|, ε) as scikit-learn does.
    public static func mape(truth: [Double], predicted: [Double]) -> Double {
        guard !truth.isEmpty else { return 0 }
        return zip(truth, predicted).reduce(0) { $0 + abs($1.0 - $1.1) / max(abs($1.0), .ulpOfOne) } / Double(truth.count)
    }
}
