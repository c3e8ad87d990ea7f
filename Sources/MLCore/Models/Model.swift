/// The scikit-learn-like contract every model type implements: fit on features and targets
/// (with optional sample weights), then predict values and class probabilities.
public protocol Model: Sendable, Codable {
    /// Stable identifier used in bundles, leaderboards and APIs (`logistic_regression`, …).
    static var modelType: String { get }
    associatedtype Parameters: Codable & Sendable & Equatable

    var parameters: Parameters { get }

    init(parameters: Parameters)

    mutating func fit(_ features: FeatureMatrix, _ targets: Targets, weights: [Double]?) throws

    /// `fit`, reporting trees or rounds to `progress` (ensembles); other models report nothing.
    mutating func fit(_ features: FeatureMatrix, _ targets: Targets, weights: [Double]?, progress: FitProgress?) throws

    /// Class indices (as Double) for classification, values for regression.
    func predict(_ features: FeatureMatrix) -> [Double]

    /// Per-row class probabilities in label order; nil for regression.
    func predictProbabilities(_ features: FeatureMatrix) -> [[Double]]?

    /// Importance per feature column (gain for trees, |coefficient| for linear models).
    var featureImportances: [Double] { get }

    /// Throws unless the fitted state fits `featureCount` inputs and `classCount` classes (0 for
    /// regression): what a loaded bundle must pass before it predicts.
    func validate(featureCount: Int, classCount: Int) throws(BundleInconsistency)
}

extension Model {
    /// A model of the same type and hyperparameters, not fitted.
    func unfitted() -> any Model {
        Self(parameters: parameters)
    }

    public mutating func fit(_ features: FeatureMatrix, _ targets: Targets, weights: [Double]?, progress: FitProgress?) throws {
        try fit(features, targets, weights: weights)
    }
}

public enum ModelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The checks every `fit` starts with: some rows, and one target per row.
    static func checkShapes(_ features: FeatureMatrix, _ targets: Targets) throws {
        guard features.rows > 0 else { throw ModelError.empty }
        guard features.rows == targets.values.count else {
            throw ModelError.mismatchedLengths(features: features.rows, targets: targets.values.count)
        }
    }

    case empty
    case mismatchedLengths(features: Int, targets: Int)
    case invalidParameter(name: String, problem: String)

    public var description: String {
        switch self {
        case .empty: "no training rows"
        case .mismatchedLengths(let features, let targets): "\(features) feature rows but \(targets) targets"
        case .invalidParameter(let name, let problem): "\(name): \(problem)"
        }
    }
}
