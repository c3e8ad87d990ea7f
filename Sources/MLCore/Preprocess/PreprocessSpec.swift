public enum TaskKind: String, Codable, Sendable, CaseIterable {
    case classification
    case regression
}

/// What `make_dataset` does to a raw table, as a serialisable spec.
public struct PreprocessSpec: Codable, Sendable, Equatable {
    public var target: String
    /// nil detects the task from the target column.
    public var task: TaskKind?
    public var drop: [String]
    public var testSize: Double
    public var seed: UInt64
    public var maxMissingFraction: Double
    public var dedupe: Bool

    public init(
        target: String,
        task: TaskKind? = nil,
        drop: [String] = [],
        testSize: Double = 0.3,
        seed: UInt64 = 42,
        maxMissingFraction: Double = 0.7,
        dedupe: Bool = true
    ) {
        self.target = target
        self.task = task
        self.drop = drop
        self.testSize = testSize
        self.seed = seed
        self.maxMissingFraction = maxMissingFraction
        self.dedupe = dedupe
    }

    enum CodingKeys: String, CodingKey {
        case target, task, drop
        case testSize = "test_size"
        case seed
        case maxMissingFraction = "max_missing_fraction"
        case dedupe
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        target = try container.decode(String.self, forKey: .target)
        task = try container.decodeIfPresent(TaskKind.self, forKey: .task)
        drop = try container.decodeIfPresent([String].self, forKey: .drop) ?? []
        testSize = try container.decodeIfPresent(Double.self, forKey: .testSize) ?? 0.3
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? 42
        maxMissingFraction = try container.decodeIfPresent(Double.self, forKey: .maxMissingFraction) ?? 0.7
        dedupe = try container.decodeIfPresent(Bool.self, forKey: .dedupe) ?? true
    }

    /// Field-level problems with the spec itself (independent of the data).
    public func problems() -> [(field: String, problem: String)] {
        var problems: [(String, String)] = []
        if target.isEmpty { problems.append(("target", "must not be empty")) }
        if !(testSize > 0 && testSize < 1) { problems.append(("test_size", "must be strictly between 0 and 1")) }
        if !(maxMissingFraction > 0 && maxMissingFraction <= 1) { problems.append(("max_missing_fraction", "must be in (0, 1]")) }
        if drop.contains(target) { problems.append(("drop", "must not contain the target '\(target)'")) }
        return problems
    }
}
