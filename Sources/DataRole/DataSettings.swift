import Kernel

/// The data role's own settings: what one upload may cost, and what a job started from `{}`
/// works on.
struct DataSettings: Sendable {
    /// Largest dataset upload; the CSV reader holds a whole file in memory and stops at 4 GiB.
    var maxUploadBytes: Int
    /// The most fields (rows × columns) an uploaded CSV may have: parsing holds about 16 bytes
    /// per field.
    var maxUploadFields: Int
    /// `MLOPSD_DEFAULT_DATASET` (a dataset id or name) and `MLOPSD_DEFAULT_TARGET`: what
    /// `POST /preprocess` uses when its body names no dataset or target.
    var defaults: JobDefaults

    init(_ reader: SettingsReader) throws {
        maxUploadBytes = try reader.int("MLOPSD_MAX_UPLOAD_BYTES", default: 1 << 30, range: 1024...Int(UInt32.max) - 1)
        maxUploadFields = try reader.int("MLOPSD_MAX_UPLOAD_FIELDS", default: 50_000_000, range: 1000...1_000_000_000)
        defaults = JobDefaults(dataset: reader.string("MLOPSD_DEFAULT_DATASET"), target: reader.string("MLOPSD_DEFAULT_TARGET"))
    }
}
