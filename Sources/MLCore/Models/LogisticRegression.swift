import Foundation

/// L2-regularised logistic regression, binary (sigmoid) or multinomial (softmax), fitted with
/// L-BFGS on scikit-learn's objective: C · Σ wᵢ · lossᵢ + ½‖W‖² (intercepts not penalised).
public struct LogisticRegression: Model {
    public static let modelType = "logistic_regression"

    public struct Parameters: Codable, Sendable, Equatable {
        /// Inverse regularisation strength.
        public var c: Double
        public var maxIterations: Int
        public var tolerance: Double
        /// "balanced" weighs classes inversely to their frequency.
        public var classWeight: String?

        public init(c: Double = 1, maxIterations: Int = 1000, tolerance: Double = 1e-4, classWeight: String? = nil) {
            self.c = c
            self.maxIterations = maxIterations
            self.tolerance = tolerance
            self.classWeight = classWeight
        }

        enum CodingKeys: String, CodingKey {
            case c = "C"
            case maxIterations = "max_iter"
            case tolerance = "tol"
            case classWeight = "class_weight"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let defaults = Parameters()
            c = try container.decodeIfPresent(Double.self, forKey: .c) ?? defaults.c
            maxIterations = try container.decodeIfPresent(Int.self, forKey: .maxIterations) ?? defaults.maxIterations
            tolerance = try container.decodeIfPresent(Double.self, forKey: .tolerance) ?? defaults.tolerance
            classWeight = try container.decodeIfPresent(String.self, forKey: .classWeight)
        }
    }

    public var parameters: Parameters
    /// Row-major: one row of `featureCount` coefficients per output (1 for binary, k for multiclass).
    public private(set) var coefficients: [Double] = []
    public private(set) var intercepts: [Double] = []
    public private(set) var classCount = 0
    public private(set) var featureCount = 0
    public private(set) var iterations = 0
    public private(set) var converged = false

    public init(parameters: Parameters = Parameters()) {
        self.parameters = parameters
    }

    private var outputs: Int { classCount == 2 ? 1 : classCount }

    public mutating func fit(_ features: FeatureMatrix, _ targets: Targets, weights: [Double]?) throws {
        try ModelError.checkShapes(features, targets)
        guard targets.task == .classification, targets.classCount >= 2 else {
            throw ModelError.invalidParameter(name: "target", problem: "logistic regression needs at least two classes")
        }
        guard parameters.c > 0 else { throw ModelError.invalidParameter(name: "C", problem: "must be positive") }
        try ClassWeights.validate(parameters.classWeight)
        classCount = targets.classCount
        featureCount = features.columns
        let sampleWeights = ClassWeights.combine(weights, classWeight: parameters.classWeight, targets: targets)
        let p = featureCount
        let outputs = self.outputs
        let c = parameters.c
        let labels = targets.classes
        let x = features.values
        // Minimise the objective divided by C·Σw (same minimiser): the mean loss plus
        // ½‖W‖²/(C·Σw). The gradient tolerance then means what it means in scikit-learn.
        let scale = 1 / (c * sampleWeights.reduce(0, +))
        let optimizer = LBFGS(maxIterations: parameters.maxIterations, tolerance: parameters.tolerance)
        let outcome = optimizer.minimize(start: Array(repeating: 0, count: outputs * (p + 1))) { theta, gradient in
            let partials = Parallel.map(ranges: features.rows) { rows in
                Self.lossAndGradient(theta: theta, x: x, labels: labels, weights: sampleWeights, rows: rows, p: p, outputs: outputs)
            }
            var loss = 0.0
            for index in gradient.indices { gradient[index] = 0 }
            for partial in partials {
                loss += partial.loss
                for index in gradient.indices { gradient[index] += partial.gradient[index] }
            }
            loss *= c
            for index in gradient.indices { gradient[index] *= c }
            // L2 penalty on coefficients only; intercepts sit at the end of θ.
            for index in 0..<(outputs * p) {
                loss += 0.5 * theta[index] * theta[index]
                gradient[index] += theta[index]
            }
            for index in gradient.indices { gradient[index] *= scale }
            return loss * scale
        }
        coefficients = Array(outcome.parameters[0..<(outputs * p)])
        intercepts = Array(outcome.parameters[(outputs * p)...])
        iterations = outcome.iterations
        converged = outcome.converged
    }

    /// Unregularised weighted log-loss and its gradient over `rows`.
    private static func lossAndGradient(
        theta: [Double], x: [Double], labels: [Int], weights: [Double], rows: Range<Int>, p: Int, outputs: Int
    ) -> (loss: Double, gradient: [Double]) {
        var gradient = [Double](repeating: 0, count: theta.count)
        var loss = 0.0
        var scores = [Double](repeating: 0, count: outputs)
        theta.withUnsafeBufferPointer { theta in
            x.withUnsafeBufferPointer { x in
                gradient.withUnsafeMutableBufferPointer { gradient in
                    for row in rows {
                        let base = row * p
                        for output in 0..<outputs {
                            var z = theta[outputs * p + output]
                            let w = output * p
                            for column in 0..<p { z += theta[w + column] * x[base + column] }
                            scores[output] = z
                        }
                        let weight = weights[row]
                        let label = labels[row]
                        if outputs == 1 {
                            let z = scores[0]
                            let y = Double(label)
                            // log(1 + e^z) − y·z, computed without overflow.
                            loss += weight * ((z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))) - y * z)
                            let residual = weight * (1 / (1 + exp(-z)) - y)
                            for column in 0..<p { gradient[column] += residual * x[base + column] }
                            gradient[p] += residual
                        } else {
                            let top = scores.max() ?? 0
                            var sum = 0.0
                            for output in 0..<outputs { sum += exp(scores[output] - top) }
                            let logSum = top + log(sum)
                            loss += weight * (logSum - scores[label])
                            for output in 0..<outputs {
                                let residual = weight * (exp(scores[output] - logSum) - (output == label ? 1 : 0))
                                let w = output * p
                                for column in 0..<p { gradient[w + column] += residual * x[base + column] }
                                gradient[outputs * p + output] += residual
                            }
                        }
                    }
                }
            }
        }
        return (loss, gradient)
    }

    public func predict(_ features: FeatureMatrix) -> [Double] {
        (predictProbabilities(features) ?? []).map { row in
            Double(row.indices.max { row[$0] < row[$1] } ?? 0)
        }
    }

    public func predictProbabilities(_ features: FeatureMatrix) -> [[Double]]? {
        let p = featureCount
        let outputs = self.outputs
        return (0..<features.rows).map { row in
            var scores = (0..<outputs).map { output in
                var z = intercepts[output]
                for column in 0..<p { z += coefficients[output * p + column] * features[row, column] }
                return z
            }
            if outputs == 1 {
                let positive = 1 / (1 + exp(-scores[0]))
                return [1 - positive, positive]
            }
            let top = scores.max() ?? 0
            for index in scores.indices { scores[index] = exp(scores[index] - top) }
            let sum = scores.reduce(0, +)
            return scores.map { $0 / sum }
        }
    }

    public var featureImportances: [Double] {
        (0..<featureCount).map { column in
            (0..<outputs).reduce(0) { $0 + abs(coefficients[$1 * featureCount + column]) } / Double(max(outputs, 1))
        }
    }
}

extension LogisticRegression {
    public func validate(featureCount: Int, classCount: Int) throws(BundleInconsistency) {
        guard self.classCount >= 2, self.classCount == classCount, self.featureCount == featureCount,
            coefficients.count == outputs * featureCount, intercepts.count == outputs
        else {
            throw BundleInconsistency(
                "logistic_regression: \(self.classCount) classes, \(self.featureCount) features, \(coefficients.count) coefficients and "
                    + "\(intercepts.count) intercepts do not fit \(classCount) labels and \(featureCount) features"
            )
        }
    }
}
