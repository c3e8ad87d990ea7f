import Crypto
import Foundation

/// DVC 3-compatible data versions: the plain MD5 of a file's bytes, the `.dvc` file that tracks
/// it, and where its copy lives in a DVC cache (`.dvc/cache/files/md5/<2>/<30>`).
public enum DataVersion {
    public struct Digest: Sendable, Equatable {
        public var md5: String
        public var size: Int

        public init(md5: String, size: Int) {
            self.md5 = md5
            self.size = size
        }
    }

    /// MD5 and size of a file, read in chunks (files can be larger than memory).
    public static func digest(ofFileAt path: String, chunkSize: Int = 1 << 20) throws -> Digest {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        var hasher = Insecure.MD5()
        var size = 0
        while let chunk = try handle.read(upToCount: chunkSize), !chunk.isEmpty {
            hasher.update(data: chunk)
            size += chunk.count
        }
        return Digest(md5: hex(hasher.finalize()), size: size)
    }

    /// The digest of bytes hashed incrementally elsewhere (an upload streamed to disk).
    public static func digest(finishing hasher: Insecure.MD5, size: Int) -> Digest {
        Digest(md5: hex(hasher.finalize()), size: size)
    }

    public static func digest(of bytes: some DataProtocol) -> Digest {
        Digest(md5: hex(Insecure.MD5.hash(data: bytes)), size: bytes.count)
    }

    /// The `.dvc` file text for a file tracked next to it (`path` is relative to the `.dvc` file).
    /// A directory passes its file count: its `md5` is then the `<hash>.dir` of its listing.
    public static func dvcFile(for digest: Digest, path: String, fileCount: Int? = nil) -> String {
        var lines = ["outs:", "- md5: \(yamlScalar(digest.md5))", "  size: \(digest.size)"]
        if let fileCount { lines.append("  nfiles: \(fileCount)") }
        lines += ["  hash: md5", "  path: \(yamlScalar(path))"]
        return lines.joined(separator: "\n") + "\n"
    }

    /// `<cache>/files/md5/<2 hex>/<30 hex>`, the DVC 3 cache layout.
    public static func cachePath(cacheDirectory: String, md5: String) -> String {
        let split = md5.index(md5.startIndex, offsetBy: 2)
        return "\(cacheDirectory)/files/md5/\(md5[..<split])/\(md5[split...])"
    }

    /// Quotes what a YAML 1.1 reader would otherwise take for a number (an all-digit hash, `12e34`)
    /// or for syntax.
    static func yamlScalar(_ text: String) -> String {
        let looksNumeric = text.range(of: #"^[0-9]+([eE][0-9]+)?$"#, options: .regularExpression) != nil
        let hasSyntax = text.contains { ":#'\"{}[],&*!|>%@`".contains($0) } || text.hasPrefix("-") || text.hasPrefix(" ")
        guard looksNumeric || hasSyntax || text.isEmpty else { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    private static func hex(_ digest: some Sequence<UInt8>) -> String {
        digest.map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
    }
}
