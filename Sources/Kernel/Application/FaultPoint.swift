import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Steps on the way to publishing something where the fault-injection suite makes the process die
/// as a power cut or an OOM kill would (SIGKILL: nothing flushed, nothing cleaned up), to prove
/// that after a restart nothing half-written is visible and nothing recorded is lost.
/// `MLOPSD_FAULT_INJECT` arms points by name, comma-separated; unset, as in production, reaching
/// a point costs one set lookup.
public enum FaultPoint: String, CaseIterable, Sendable {
    /// An upload's file is in `raw/`; the catalog does not know it yet.
    case uploadPublished = "data.upload.published"
    /// A processed or feature version's directory is in place; the catalog does not know it yet.
    case versionPublished = "data.version.published"
    /// The catalog knows the version; its job is not finished yet.
    case versionRecorded = "data.version.recorded"
    /// A trained model's bundle is on disk; neither tracker nor registry know it yet.
    case modelStored = "train.model.stored"
    /// The registry knows the model version; its job is not finished yet.
    case modelRegistered = "train.model.registered"
    /// The champion's bundle is stored; the pointer still names the previous champion.
    case championBundleStored = "promote.bundle.stored"
    /// The new champion is published; the promotion has not answered yet.
    case championPublished = "promote.published"

    public static let environmentKey = "MLOPSD_FAULT_INJECT"

    public static let armed: Set<FaultPoint> = Set(
        (ProcessInfo.processInfo.environment[environmentKey] ?? "").split(separator: ",").compactMap {
            FaultPoint(rawValue: $0.trimmingCharacters(in: .whitespaces))
        }
    )

    public func reached() {
        guard Self.armed.contains(self) else { return }
        kill(getpid(), SIGKILL)
    }
}
