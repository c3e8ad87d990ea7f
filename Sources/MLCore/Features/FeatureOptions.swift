public enum CategoricalEncoding: String, Codable, Sendable {
    /// One 0/1 column per kept category (linear models).
    case oneHot = "one_hot"
    /// One column of category codes (tree models split on them directly).
    case ordinal
}

public enum ImbalanceHandling: String, Codable, Sendable {
    /// Decided at training time: a tuned decision threshold for an imbalanced binary target,
    /// nothing else (`Trainer.train`). Fitted pipelines record `none`; the bundle keeps the threshold.
    case auto
    case none
    /// Sample weights n / (k × n_class), scikit-learn's `class_weight="balanced"`.
    case classWeights = "class_weights"
    /// Synthetic minority samples interpolated between nearest neighbours (SMOTE).
    case smote
}

/// How `build_features` turns a table into numbers. Serialised with the fitted pipeline.
public struct FeatureOptions: Codable, Sendable, Equatable {
    public var encoding: CategoricalEncoding
    /// Standardise numeric features (mean 0, variance 1), for linear models.
    public var scale: Bool
    /// One-hot: at most this many categories per column get their own column; the rest share "infrequent".
    public var maxCategories: Int
    /// One-hot: categories seen fewer times than this in training go to "infrequent".
    public var minFrequency: Int
    /// Add a 0/1 column per numeric input that had missing values in training.
    public var missingIndicators: Bool
    /// Replace date-time columns by year, month, weekday, hour and their sin/cos.
    public var expandDateTime: Bool
    public var imbalance: ImbalanceHandling

    public init(
        encoding: CategoricalEncoding = .oneHot,
        scale: Bool = true,
        maxCategories: Int = 20,
        minFrequency: Int = 1,
        missingIndicators: Bool = false,
        expandDateTime: Bool = true,
        imbalance: ImbalanceHandling = .none
    ) {
        self.encoding = encoding
        self.scale = scale
        self.maxCategories = maxCategories
        self.minFrequency = minFrequency
        self.missingIndicators = missingIndicators
        self.expandDateTime = expandDateTime
        self.imbalance = imbalance
    }

    /// Settings suited to tree ensembles: codes instead of one-hot, no scaling.
    public static let trees = FeatureOptions(encoding: .ordinal, scale: false)

    enum CodingKeys: String, CodingKey {
        case encoding, scale
        case maxCategories = "max_categories"
        case minFrequency = "min_frequency"
        case missingIndicators = "missing_indicators"
        case expandDateTime = "expand_datetime"
        case imbalance
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = FeatureOptions()
        encoding = try container.decodeIfPresent(CategoricalEncoding.self, forKey: .encoding) ?? defaults.encoding
        scale = try container.decodeIfPresent(Bool.self, forKey: .scale) ?? defaults.scale
        maxCategories = try container.decodeIfPresent(Int.self, forKey: .maxCategories) ?? defaults.maxCategories
        minFrequency = try container.decodeIfPresent(Int.self, forKey: .minFrequency) ?? defaults.minFrequency
        missingIndicators = try container.decodeIfPresent(Bool.self, forKey: .missingIndicators) ?? defaults.missingIndicators
        expandDateTime = try container.decodeIfPresent(Bool.self, forKey: .expandDateTime) ?? defaults.expandDateTime
        imbalance = try container.decodeIfPresent(ImbalanceHandling.self, forKey: .imbalance) ?? defaults.imbalance
    }

    public func problems() -> [FieldIssue] {
        var problems: [FieldIssue] = []
        if maxCategories < 1 { problems.append(FieldIssue(field: "max_categories", problem: "must be at least 1")) }
        if minFrequency < 1 { problems.append(FieldIssue(field: "min_frequency", problem: "must be at least 1")) }
        return problems
    }
}
