import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// fsync for what is about to be recorded: a rename makes a file visible, not durable. After a
/// power cut, a catalog row (committed with `synchronous = FULL`) must not name a file whose
/// bytes or directory entry were still in the page cache.
public enum Durable {
    public struct SyncError: Error, CustomStringConvertible {
        public let path: String
        public let code: Int32
        public var description: String { "\(path): \(String(cString: strerror(code)))" }
    }

    /// Flushes one file's or directory's contents (a directory's: its entries) to disk.
    public static func sync(_ url: URL) throws {
        let descriptor = open(url.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SyncError(path: url.path, code: errno) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw SyncError(path: url.path, code: errno) }
    }

    /// `sync` for an item and, for a directory, everything under it.
    public static func syncTree(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else { return }
        if isDirectory.boolValue, let contents = FileManager.default.enumerator(at: url, includingPropertiesForKeys: nil) {
            for case let item as URL in contents {
                try sync(item)
            }
        }
        try sync(url)
    }

    /// Creates `directory` and any missing parents, and makes each new name durable in the
    /// directory that holds it, so a file written inside survives with its path.
    public static func makeDirectory(_ directory: URL) throws {
        var missing: [URL] = []
        var existing = directory.standardizedFileURL
        while !FileManager.default.fileExists(atPath: existing.path), existing.path != "/" {
            missing.append(existing)
            existing.deleteLastPathComponent()
        }
        guard !missing.isEmpty else { return }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        for created in missing.reversed() {
            try sync(created.deletingLastPathComponent())
        }
    }

    /// Writes `data` to `url` by a rename, as `.atomic` does, and makes both the bytes and the
    /// name durable before returning.
    public static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        let staged = directory.appendingPathComponent(".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        do {
            try data.write(to: staged)
            try sync(staged)
            // rename(2) replaces the target in one step; FileManager's move refuses to.
            guard rename(staged.path, url.path) == 0 else { throw SyncError(path: url.path, code: errno) }
        } catch {
            try? FileManager.default.removeItem(at: staged)
            throw error
        }
        try sync(directory)
    }

    /// Renames `staged` over `target` durably: the staged bytes first, then the directory that
    /// now names them.
    public static func publish(_ staged: URL, as target: URL) throws {
        try syncTree(staged)
        if FileManager.default.fileExists(atPath: target.path) {
            try FileManager.default.removeItem(at: target)
        }
        try FileManager.default.moveItem(at: staged, to: target)
        try sync(target.deletingLastPathComponent())
    }
}
