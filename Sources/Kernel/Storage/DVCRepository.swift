import Foundation

/// A data directory laid out as a DVC 3 repository: outputs tracked by `.dvc` files beside
/// them, their bytes in `.dvc/cache/files/md5`. The real `dvc` CLI can then `status`,
/// `checkout`, `push` and `pull` what mlopsd wrote.
public struct DVCRepository: Sendable {
    public let root: URL

    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    public var cacheDirectory: URL { root.appendingPathComponent(".dvc/cache") }

    /// A tracked directory: the `<md5>.dir` hash of its listing, its total size and its files.
    public struct DirectoryDigest: Sendable, Equatable {
        public var digest: DataVersion.Digest
        public var files: [(relativePath: String, digest: DataVersion.Digest)]

        public static func == (lhs: DirectoryDigest, rhs: DirectoryDigest) -> Bool {
            lhs.digest == rhs.digest && lhs.files.map(\.relativePath) == rhs.files.map(\.relativePath)
                && lhs.files.map(\.digest) == rhs.files.map(\.digest)
        }
    }

    /// Makes `root` a DVC repository unless it already is one. Without a Git repository around
    /// it, `core.no_scm` is what `dvc init --no-scm` writes.
    public func prepare() throws {
        let manager = FileManager.default
        try manager.createDirectory(at: cacheDirectory, withIntermediateDirectories: true)
        let config = root.appendingPathComponent(".dvc/config")
        if !manager.fileExists(atPath: config.path) {
            try Data("[core]\n    no_scm = True\n".utf8).write(to: config, options: .atomic)
        }
        let ignore = root.appendingPathComponent(".dvcignore")
        if !manager.fileExists(atPath: ignore.path) {
            try Data(
                "# Written by mlopsd: work in progress, set-aside versions and the instance lock, never data versions.\n/.staging\n/.quarantine\n/.mlopsd.lock\n"
                    .utf8
            ).write(to: ignore, options: .atomic)
        }
    }

    /// Copies a file into the cache and writes `<file>.dvc` beside it.
    @discardableResult
    public func trackFile(at file: URL, digest known: DataVersion.Digest? = nil) throws -> DataVersion.Digest {
        let digest = try known ?? DataVersion.digest(ofFileAt: file.path)
        try store(file, md5: digest.md5)
        try writeDVCFile(for: file, digest: digest, fileCount: nil)
        return digest
    }

    /// Caches every file under `directory` and its `.dir` listing, and writes `<directory>.dvc`.
    @discardableResult
    public func trackDirectory(at directory: URL) throws -> DirectoryDigest {
        let listing = try Self.digestDirectory(directory)
        for (relativePath, digest) in listing.files {
            try store(directory.appendingPathComponent(relativePath), md5: digest.md5)
        }
        let object = Self.listingObject(listing.files)
        try storeBytes(object, md5: DataVersion.digest(of: object).md5 + ".dir")
        try writeDVCFile(for: directory, digest: listing.digest, fileCount: listing.files.count)
        return listing
    }

    /// The digest DVC computes for a directory, without touching the cache.
    public static func digestDirectory(_ directory: URL) throws -> DirectoryDigest {
        var files: [(String, DataVersion.Digest)] = []
        let base = directory.standardizedFileURL.path
        guard let walker = FileManager.default.enumerator(atPath: base) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: base])
        }
        while let relative = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            let path = base + "/" + relative
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            files.append((relative, try DataVersion.digest(ofFileAt: path)))
        }
        // DVC sorts the listing by relative path, comparing code points as Python does.
        files.sort { Array($0.0.unicodeScalars.map(\.value)).lexicographicallyPrecedes($1.0.unicodeScalars.map(\.value)) }
        let object = listingObject(files)
        let md5 = DataVersion.digest(of: object).md5 + ".dir"
        return DirectoryDigest(digest: .init(md5: md5, size: files.reduce(0) { $0 + $1.1.size }), files: files)
    }

    /// The `.dir` object: `json.dumps([{"md5": …, "relpath": …}, …])` byte for byte.
    static func listingObject(_ files: [(String, DataVersion.Digest)]) -> [UInt8] {
        let entries = files.map { path, digest in
            "{\"md5\": \(pythonJSONString(digest.md5)), \"relpath\": \(pythonJSONString(path))}"
        }
        return Array(("[" + entries.joined(separator: ", ") + "]").utf8)
    }

    /// A JSON string as Python's `json.dumps` writes it (`ensure_ascii`: non-ASCII as UTF-16 escapes).
    static func pythonJSONString(_ text: String) -> String {
        var output = "\""
        for unit in text.utf16 {
            switch unit {
            case 0x22: output += "\\\""
            case 0x5C: output += "\\\\"
            case 0x0A: output += "\\n"
            case 0x0D: output += "\\r"
            case 0x09: output += "\\t"
            case 0x08: output += "\\b"
            case 0x0C: output += "\\f"
            case 0x20..<0x7F: output.unicodeScalars.append(Unicode.Scalar(unit)!)
            default: output += String(format: "\\u%04x", unit)
            }
        }
        return output + "\""
    }

    private func writeDVCFile(for output: URL, digest: DataVersion.Digest, fileCount: Int?) throws {
        let text = DataVersion.dvcFile(for: digest, path: output.lastPathComponent, fileCount: fileCount)
        try Data(text.utf8).write(to: output.appendingPathExtension("dvc"), options: .atomic)
    }

    private func store(_ file: URL, md5: String) throws {
        try storeObject(md5: md5) { partial in try FileManager.default.copyItem(at: file, to: partial) }
    }

    private func storeBytes(_ bytes: [UInt8], md5: String) throws {
        try storeObject(md5: md5) { partial in try Data(bytes).write(to: partial) }
    }

    /// Writes a cache object under a temporary name first, so a reader never sees a partial one.
    private func storeObject(md5: String, write: (URL) throws -> Void) throws {
        let target = URL(fileURLWithPath: DataVersion.cachePath(cacheDirectory: cacheDirectory.path, md5: md5))
        guard !FileManager.default.fileExists(atPath: target.path) else { return }
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        let partial = target.deletingLastPathComponent().appendingPathComponent(".\(UUID().uuidString).tmp")
        defer { try? FileManager.default.removeItem(at: partial) }
        try write(partial)
        try Durable.sync(partial)
        try publishReadOnly(partial, as: target)
        try Durable.sync(target.deletingLastPathComponent())
    }

    // Cache objects are read-only, as DVC leaves them: a link to one must not be edited in place.
    private func publishReadOnly(_ partial: URL, as target: URL) throws {
        try FileManager.default.setAttributes([.posixPermissions: 0o444], ofItemAtPath: partial.path)
        if rename(partial.path, target.path) != 0 {
            let code = errno
            // Another writer stored the same object first: same md5, same bytes.
            guard FileManager.default.fileExists(atPath: target.path) else {
                throw CocoaError(
                    .fileWriteUnknown, userInfo: [NSFilePathErrorKey: target.path, NSUnderlyingErrorKey: POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)])
            }
        }
    }
}
