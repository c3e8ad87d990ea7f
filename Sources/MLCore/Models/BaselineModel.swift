/// The floor every real model must beat (scikit-learn's `DummyClassifier(strategy="prior")` and
/// `DummyRegressor(strategy="mean")`): class priors, or the weighted mean of the target.
public struct BaselineModel: Model {
    public static let modelType = "baseline"

    public struct Parameters: Codable, Sendable, Equatable {
        public init() {}
    }

    public var parameters: Parameters
    public private(set) var task: TaskKind?
    public private(set) var priors: [Double] = []
    public private(set) var mean = 0.0
    public private(set) var featureCount = 0

    public init(parameters: Parameters = Parameters()) {
        self.parameters = parameters
    }

    public mutating func fit(_ features: FeatureMatrix, _ targets: Targets, weights: [Double]?) throws {
        try ModelError.checkShapes(features, targets)
        let weights = weights ?? Array(repeating: 1, count: features.rows)
        let total = weights.reduce(0, +)
        task = targets.task
        featureCount = features.columns
        switch targets.task {
        case .classification:
            priors = Array(repeating: 0, count: targets.classCount)
            for (label, weight) in zip(targets.classes, weights) { priors[label] += weight / total }
        case .regression:
            mean = zip(targets.values, weights).reduce(0) { $0 + $1.0 * $1.1 } / total
        }
    }

    public func predict(_ features: FeatureMatrix) -> [Double] {
        switch task {
        case .classification:
            let best = priors.indices.max { priors[$0] < priors[$1] || (priors[$0] == priors[$1] && $0 > $1) } ?? 0
            return Array(repeating: Double(best), count: features.rows)
        case .regression, nil:
            return Array(repeating: mean, count: features.rows)
        }
    }

    public func predictProbabilities(_ features: FeatureMatrix) -> [[Double]]? {
        task == .classification ? Array(repeating: priors, count: features.rows) : nil
    }

    public var featureImportances: [Double] { Array(repeating: 0, count: featureCount) }
}

extension BaselineModel {
    public func validate(featureCount: Int, classCount: Int) throws(BundleInconsistency) {
        guard self.featureCount == featureCount else {
            throw BundleInconsistency("baseline: fitted on \(self.featureCount) features, the pipeline makes \(featureCount)")
        }
        guard classCount == 0 ? task != .classification : task == .classification && priors.count == classCount else {
            throw BundleInconsistency("baseline: \(priors.count) class priors for \(classCount) labels")
        }
    }
}
