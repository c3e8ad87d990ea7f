/// Ordinary least squares (`alpha = 0`) or ridge regression, on weighted, centred data as
/// scikit-learn does: (XcᵀWXc + αI)·β = XcᵀW·yc, intercept = ȳ − x̄ᵀβ. Collinear designs
/// (one-hot columns beside an intercept) get a vanishing ridge term, which gives the
/// minimum-norm solution's predictions.
public struct LinearRegression: Model {
    public static let modelType = "linear_regression"

    public struct Parameters: Codable, Sendable, Equatable {
        public var alpha: Double

        public init(alpha: Double = 0) {
            self.alpha = alpha
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            alpha = try container.decodeIfPresent(Double.self, forKey: .alpha) ?? 0
        }
    }

    public var parameters: Parameters
    public private(set) var coefficients: [Double] = []
    public private(set) var intercept = 0.0

    public init(parameters: Parameters = Parameters()) {
        self.parameters = parameters
    }

    public mutating func fit(_ features: FeatureMatrix, _ targets: Targets, weights: [Double]?) throws {
        try ModelError.checkShapes(features, targets)
        guard targets.task == .regression else {
            throw ModelError.invalidParameter(name: "target", problem: "linear regression needs a numeric target")
        }
        guard parameters.alpha >= 0 else { throw ModelError.invalidParameter(name: "alpha", problem: "must be ≥ 0") }
        let p = features.columns
        let n = features.rows
        let w = weights ?? Array(repeating: 1, count: n)
        let total = w.reduce(0, +)
        var means = [Double](repeating: 0, count: p)
        var targetMean = 0.0
        for row in 0..<n {
            for column in 0..<p { means[column] += w[row] * features[row, column] }
            targetMean += w[row] * targets.values[row]
        }
        for column in 0..<p { means[column] /= total }
        targetMean /= total

        let blocks = Parallel.map(ranges: n) { rows -> (gram: [Double], moment: [Double]) in
            var gram = [Double](repeating: 0, count: p * p)
            var moment = [Double](repeating: 0, count: p)
            var centred = [Double](repeating: 0, count: p)
            for row in rows {
                for column in 0..<p { centred[column] = features[row, column] - means[column] }
                let residual = targets.values[row] - targetMean
                for i in 0..<p {
                    let scaled = w[row] * centred[i]
                    moment[i] += scaled * residual
                    for j in 0...i { gram[i * p + j] += scaled * centred[j] }
                }
            }
            return (gram, moment)
        }
        var gram = [Double](repeating: 0, count: p * p)
        var moment = [Double](repeating: 0, count: p)
        for block in blocks {
            for index in gram.indices { gram[index] += block.gram[index] }
            for index in moment.indices { moment[index] += block.moment[index] }
        }
        for i in 0..<p { for j in 0..<i { gram[j * p + i] = gram[i * p + j] } }

        let largest = (0..<p).map { gram[$0 * p + $0] }.max() ?? 1
        var ridge = parameters.alpha
        var solution: [Double]?
        for attempt in 0..<8 {
            var system = gram
            for i in 0..<p { system[i * p + i] += ridge }
            solution = Cholesky.solve(system, moment, n: p)
            if solution != nil { break }
            ridge = parameters.alpha + max(largest, 1) * 1e-12 * pow10(2 * attempt)
        }
        coefficients = solution ?? Array(repeating: 0, count: p)
        intercept = targetMean - zip(means, coefficients).reduce(0) { $0 + $1.0 * $1.1 }
    }

    private func pow10(_ exponent: Int) -> Double {
        (0..<exponent).reduce(1.0) { value, _ in value * 10 }
    }

    public func predict(_ features: FeatureMatrix) -> [Double] {
        (0..<features.rows).map { row in
            var value = intercept
            for column in 0..<features.columns { value += coefficients[column] * features[row, column] }
            return value
        }
    }

    public func predictProbabilities(_ features: FeatureMatrix) -> [[Double]]? { nil }

    public var featureImportances: [Double] { coefficients.map(abs) }
}

extension LinearRegression {
    public func validate(featureCount: Int, classCount: Int) throws(BundleInconsistency) {
        guard classCount == 0 else { throw BundleInconsistency("linear_regression: a regressor in a classification bundle") }
        guard coefficients.count == featureCount else {
            throw BundleInconsistency("linear_regression: \(coefficients.count) coefficients for \(featureCount) features")
        }
    }
}
