import Foundation

/// The ground truth a client sends for a prediction the server made earlier: what the live
/// accuracy of each serving model is measured from.
public struct PredictionFeedback: Sendable, Equatable {
    /// The opaque id the server issued with the prediction: the key feedback is recorded under,
    /// so truth sent again for the same prediction replaces the earlier one.
    public var predictionID: String
    /// The bundle that made the prediction, so its feedback is not mixed with another model's.
    public var modelKey: String
    /// "champion", "challenger" or "pinned": how the request reached the model.
    public var arm: String
    /// The class index for a classifier, the value for a regressor.
    public var predicted: Double
    /// Encoded as `predicted` is.
    public var actual: Double
    public var predictedAt: Date
    /// Orders the recent window and decides what pruning removes.
    public var receivedAt: Date

    public init(
        predictionID: String, modelKey: String, arm: String, predicted: Double, actual: Double, predictedAt: Date, receivedAt: Date
    ) {
        self.predictionID = predictionID
        self.modelKey = modelKey
        self.arm = arm
        self.predicted = predicted
        self.actual = actual
        self.predictedAt = predictedAt
        self.receivedAt = receivedAt
    }
}

extension PredictionFeedback {
    /// Rows one `record` call takes: one call is one transaction, and a larger one would hold the
    /// writer (and the request's memory) for longer than a client should be able to ask for.
    public static let maximumBatch = 10_000
    /// Bytes of UTF-8 in a prediction id: ids are the server's own, so anything longer is not
    /// one, and the bound keeps the primary-key index small.
    public static let maximumPredictionIDLength = 128
}
