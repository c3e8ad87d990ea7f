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

    init(_ reader: SettingsReader) throws {
        maxBatch = try reader.int("MLOPSD_PREDICT_MAX_BATCH", default: 10_000, range: 1...1_000_000)
        maxBatchBytes = try reader.int("MLOPSD_PREDICT_MAX_BATCH_BYTES", default: 32 << 20, range: 1024...(1 << 30))
        reloadInterval = .milliseconds(try reader.int("MLOPSD_PREDICT_RELOAD_MS", default: 1000, range: 50...3_600_000))
        rejectUnknownCategories = try reader.bool("MLOPSD_PREDICT_REJECT_UNKNOWN_CATEGORIES", default: true)
        rejectExtraFields = try reader.bool("MLOPSD_PREDICT_REJECT_EXTRA_FIELDS", default: false)
    }
}
