import Foundation
import Kernel

/// Where the embedded trackers keep run artifacts: `<root>/<experiment>/<run>/artifacts/<path>`
/// under `MLOPSD_MODELS_DIR/tracking` (a volume every train replica mounts).
struct ArtifactDirectory: Sendable {
    let root: URL

    /// Paths are ours, but are checked all the same.
    func url(experimentID: String, runID: String, path: String) throws -> URL {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
            throw TrackingError("invalid artifact path '\(path)'")
        }
        return root.appendingPathComponent("\(experimentID)/\(runID)/artifacts/\(path)")
    }

    func write(_ data: Data, to url: URL) throws {
        try Durable.makeDirectory(url.deletingLastPathComponent())
        try Durable.write(data, to: url)
    }

    func read(_ url: URL, runID: String, path: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: url.path) else { throw MissingArtifact(runID: runID, path: path) }
        return data
    }
}
