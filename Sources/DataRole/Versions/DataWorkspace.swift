import Foundation
import Kernel

/// The data directory (`MLOPSD_DATA_DIR`): uploads under `raw/`, preprocessing outputs under
/// `processed/<version>/`, fitted feature pipelines under `features/<version>/`, each tracked
/// DVC-style. Work in progress lives in `.staging/` and becomes visible by one rename.
struct DataWorkspace: Sendable {
    let root: URL
    let dvc: DVCRepository

    init(root: String) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL
        self.dvc = DVCRepository(root: self.root)
    }

    /// How long staged work must lie untouched before a replica starting up takes it for
    /// abandoned: far beyond any upload or job still writing.
    static let abandonedStagingAge: TimeInterval = 24 * 3600

    var rawDirectory: URL { root.appendingPathComponent("raw") }
    var stagingDirectory: URL { root.appendingPathComponent(".staging") }
    var quarantineDirectory: URL { root.appendingPathComponent(".quarantine") }

    func directory(for kind: DataVersionKind) -> URL {
        root.appendingPathComponent(kind.directoryName)
    }

    /// Path of a stored item relative to the data directory, as recorded in the catalog.
    func relativePath(of url: URL) -> String {
        String(url.standardizedFileURL.path.dropFirst(root.path.count + 1))
    }

    func url(forRelativePath path: String) -> URL {
        root.appendingPathComponent(path)
    }

    /// Creates the layout and discards staging leftovers from an interrupted process.
    func prepare() throws {
        try? FileManager.default.removeItem(at: stagingDirectory)
        try prepareShared()
    }

    /// Creates the layout and leaves staging alone: replicas sharing the directory may be
    /// writing there.
    func prepareShared() throws {
        for directory in [rawDirectory, stagingDirectory, directory(for: .processed), directory(for: .features)] {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        }
        try dvc.prepare()
    }

    /// Removes what sits in `.staging/` untouched for longer than `age`: with replicas sharing the
    /// directory, only that long a silence tells an interrupted upload or job from one in progress.
    /// Returns the names removed.
    func sweepStaging(olderThan age: TimeInterval, now: Date = Date()) throws -> [String] {
        let fileManager = FileManager.default
        var removed: [String] = []
        for entry in try fileManager.contentsOfDirectory(at: stagingDirectory, includingPropertiesForKeys: nil) {
            guard now.timeIntervalSince(Self.lastModified(entry)) > age else { continue }
            try fileManager.removeItem(at: entry)
            removed.append(entry.lastPathComponent)
        }
        return removed
    }

    /// The newest modification time of an item and everything under it: a file being written
    /// changes its own time, not its directory's.
    static func lastModified(_ url: URL) -> Date {
        let fileManager = FileManager.default
        var newest = (try? fileManager.attributesOfItem(atPath: url.path)[.modificationDate] as? Date) ?? .distantPast
        if let contents = fileManager.enumerator(at: url, includingPropertiesForKeys: [.contentModificationDateKey]) {
            for case let item as URL in contents {
                if let modified = try? item.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate, modified > newest {
                    newest = modified
                }
            }
        }
        return newest
    }

    /// A fresh, empty directory under `.staging/`.
    func makeStagingDirectory() throws -> URL {
        let url = stagingDirectory.appendingPathComponent(UUID().uuidString.lowercased())
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func stagingFile(extension pathExtension: String) -> URL {
        stagingDirectory.appendingPathComponent(UUID().uuidString.lowercased()).appendingPathExtension(pathExtension)
    }

    /// Moves a staged upload to `raw/<id>.csv` and tracks it.
    func publishRawFile(_ staged: URL, datasetID: String, digest: DataVersion.Digest) throws -> URL {
        let target = rawDirectory.appendingPathComponent("\(datasetID).csv")
        try replaceItem(at: target, with: staged)
        try dvc.trackFile(at: target, digest: digest)
        try ignoreInGit(target)
        return target
    }

    /// Moves a completed staging directory to `<kind>/<version>/` and tracks it as one DVC output.
    func publishVersion(_ staged: URL, kind: DataVersionKind, version: String) throws -> (url: URL, digest: DVCRepository.DirectoryDigest) {
        let target = directory(for: kind).appendingPathComponent(version)
        try replaceItem(at: target, with: staged)
        let digest = try dvc.trackDirectory(at: target)
        try ignoreInGit(target)
        return (target, digest)
    }

    /// Moves version directories (and their `.dvc` files) the catalog does not know to
    /// `.quarantine/<time>/<kind>/`: what a process that died between publishing and recording
    /// left behind, or what a catalog restored from an older backup than the data no longer
    /// remembers. Nothing is deleted: an operator decides. Returns the names moved.
    func quarantineUnrecorded(kind: DataVersionKind, recorded: Set<String>, now: Date = Date()) throws -> [String] {
        let parent = directory(for: kind)
        let fileManager = FileManager.default
        var moved: [String] = []
        let stamp = ISO8601Timestamp.string(now).replacingOccurrences(of: ":", with: "")
        let target = quarantineDirectory.appendingPathComponent(stamp).appendingPathComponent(kind.directoryName)
        for name in try fileManager.contentsOfDirectory(atPath: parent.path) {
            let version = name.hasSuffix(".dvc") ? String(name.dropLast(4)) : name
            guard !name.hasPrefix("."), name != ".gitignore", !recorded.contains(version) else { continue }
            try fileManager.createDirectory(at: target, withIntermediateDirectories: true)
            try fileManager.moveItem(at: parent.appendingPathComponent(name), to: target.appendingPathComponent(name))
            moved.append(name)
        }
        return moved
    }

    /// Durably: the catalog row that follows must not outlive the bytes after a power cut.
    private func replaceItem(at target: URL, with staged: URL) throws {
        try Durable.publish(staged, as: target)
    }

    /// What `dvc add` does in a Git repository: the data itself stays out of Git, its `.dvc` file goes in.
    private func ignoreInGit(_ output: URL) throws {
        let ignore = output.deletingLastPathComponent().appendingPathComponent(".gitignore")
        let entry = "/" + output.lastPathComponent
        let existing = (try? String(contentsOf: ignore, encoding: .utf8)) ?? ""
        guard !existing.split(separator: "\n").contains(Substring(entry)) else { return }
        let separator = existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n"
        try Data((existing + separator + entry + "\n").utf8).write(to: ignore, options: .atomic)
    }
}
