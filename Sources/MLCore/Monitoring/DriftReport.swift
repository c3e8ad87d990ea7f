/// Which statistic a drift value is: the PSI for binned numbers, the Jensen-Shannon distance
/// for categories (including a classifier's labels).
public enum DriftStatistic: String, Codable, Sendable {
    case psi
    case jensenShannon = "jensen_shannon"
}

/// One column's (or the prediction's) drift over a serving window.
public struct DriftMeasure: Codable, Sendable, Equatable {
    public var name: String
    public var kind: ReferenceProfile.Kind
    public var statistic: DriftStatistic
    public var value: Double
    public var threshold: Double
    /// `value` above `threshold`, with enough records in the window to believe it.
    public var drifted: Bool

    public init(name: String, kind: ReferenceProfile.Kind, statistic: DriftStatistic, value: Double, threshold: Double, drifted: Bool) {
        self.name = name
        self.kind = kind
        self.statistic = statistic
        self.value = value
        self.threshold = threshold
        self.drifted = drifted
    }
}

/// Drift of everything a model was served over its window, against its reference profile.
public struct DriftReport: Codable, Sendable, Equatable {
    /// Records counted in the window.
    public var records: Int
    /// One per input column, in input schema order.
    public var features: [DriftMeasure]
    public var prediction: DriftMeasure
    /// Names of the drifted features, in input schema order.
    public var driftedFeatures: [String]

    public init(records: Int, features: [DriftMeasure], prediction: DriftMeasure) {
        self.records = records
        self.features = features
        self.prediction = prediction
        driftedFeatures = features.filter(\.drifted).map(\.name)
    }

    /// Any feature or the prediction drifted.
    public var drifted: Bool { prediction.drifted || !driftedFeatures.isEmpty }

    enum CodingKeys: String, CodingKey {
        case records, features, prediction
        case driftedFeatures = "drifted_features"
    }
}
