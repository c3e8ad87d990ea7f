import Foundation

/// The model version the predict role serves, written by the train role's promotion: as
/// `MLOPSD_MODELS_DIR/champion.json` (replaced by writing a temporary file and renaming it over
/// the old one, so a reader sees the old pointer or the new one, never half of either), or as a
/// row of the shared database (`ChampionStore`).
public struct ChampionPointer: Codable, Sendable, Equatable {
    public static let fileName = "champion.json"

    public var modelName: String
    public var version: String
    public var modelType: String
    public var runID: String
    public var metric: String
    public var metrics: [String: Double]
    /// Relative to `MLOPSD_MODELS_DIR`.
    public var bundlePath: String
    public var bundleMD5: String
    public var tracker: String
    public var promotedAt: Date
    public var promotedBy: String

    public init(
        modelName: String, version: String, modelType: String, runID: String, metric: String, metrics: [String: Double],
        bundlePath: String, bundleMD5: String, tracker: String, promotedAt: Date, promotedBy: String
    ) {
        self.modelName = modelName
        self.version = version
        self.modelType = modelType
        self.runID = runID
        self.metric = metric
        self.metrics = metrics
        self.bundlePath = bundlePath
        self.bundleMD5 = bundleMD5
        self.tracker = tracker
        self.promotedAt = promotedAt
        self.promotedBy = promotedBy
    }

    enum CodingKeys: String, CodingKey {
        case modelName = "model_name"
        case version
        case modelType = "model_type"
        case runID = "run_id"
        case metric, metrics
        case bundlePath = "bundle_path"
        case bundleMD5 = "bundle_md5"
        case tracker
        case promotedAt = "promoted_at"
        case promotedBy = "promoted_by"
    }

    public static func read(modelsDirectory: URL) throws -> ChampionPointer? {
        let url = modelsDirectory.appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return try decoded(from: data)
    }

    public func write(modelsDirectory: URL) throws {
        try Durable.write(encoded() + Data("\n".utf8), to: modelsDirectory.appendingPathComponent(Self.fileName))
    }

    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }

    public static func decoded(from data: Data) throws -> ChampionPointer {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(ChampionPointer.self, from: data)
    }
}
