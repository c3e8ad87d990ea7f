import Kernel

/// The predict role's own settings.
struct PredictSettings: Sendable {
    /// Most records one `POST /predict/batch` may carry.
    var maxBatch: Int
    /// The largest batch body (`MLOPSD_PREDICT_MAX_BATCH_BYTES`): a batch of `maxBatch` records
    /// is far over the general body limit.
    var maxBatchBytes: Int
    /// How often the role looks for a new champion when nothing announced one.
    var reloadInterval: Duration
    /// Refuse (422) a category the model never saw, instead of encoding it as "no known category".
    var rejectUnknownCategories: Bool
    /// Refuse (422) fields the model does not use, instead of ignoring and listing them.
    var rejectExtraFields: Bool
    var drift: DriftSettings
    /// Most recent feedback per model the live metrics count.
    var feedbackWindow: Int
    /// Feedback older than this is deleted.
    var feedbackRetention: Duration
    /// Records waiting for the shadow challenger; past it, copies are dropped and counted.
    var shadowQueue: Int

    init(_ reader: SettingsReader) throws {
        maxBatch = try reader.int("MLOPSD_PREDICT_MAX_BATCH", default: 10_000, range: 1...1_000_000)
        maxBatchBytes = try reader.int("MLOPSD_PREDICT_MAX_BATCH_BYTES", default: 32 << 20, range: 1024...(1 << 30))
        reloadInterval = .milliseconds(try reader.int("MLOPSD_PREDICT_RELOAD_MS", default: 1000, range: 50...3_600_000))
        rejectUnknownCategories = try reader.bool("MLOPSD_PREDICT_REJECT_UNKNOWN_CATEGORIES", default: true)
        rejectExtraFields = try reader.bool("MLOPSD_PREDICT_REJECT_EXTRA_FIELDS", default: false)
        drift = DriftSettings(
            window: try reader.parse("MLOPSD_DRIFT_WINDOW", default: 10_000, expected: "0 (off) or 100 to 10000000") { text in
                Int(text).flatMap { $0 == 0 || (100...10_000_000).contains($0) ? $0 : nil }
            },
            psiThreshold: try Self.threshold(reader, "MLOPSD_DRIFT_PSI_THRESHOLD", default: 0.2),
            jensenShannonThreshold: try Self.threshold(reader, "MLOPSD_DRIFT_JS_THRESHOLD", default: 0.1),
            minimumRecords: try reader.int("MLOPSD_DRIFT_MIN_RECORDS", default: 200, range: 1...1_000_000)
        )
        feedbackWindow = try reader.int("MLOPSD_FEEDBACK_WINDOW", default: 1000, range: 10...100_000)
        feedbackRetention = .seconds(86_400 * (try reader.int("MLOPSD_FEEDBACK_RETENTION_DAYS", default: 30, range: 1...3650)))
        shadowQueue = try reader.int("MLOPSD_SHADOW_QUEUE", default: 10_000, range: 1...10_000_000)
    }

    private static func threshold(_ reader: SettingsReader, _ name: String, default value: Double) throws -> Double {
        try reader.parse(name, default: value, expected: "a number above 0") { text in Double(text).flatMap { $0 > 0 && $0.isFinite ? $0 : nil } }
    }
}
