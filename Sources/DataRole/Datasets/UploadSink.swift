import Crypto
import Foundation
import Hummingbird
import Kernel
import NIOCore

/// Writes an upload to a staging file as it arrives, hashing it on the way, so the body is never
/// held in memory and the MD5 is known when the last byte lands.
final class UploadSink {
    let url: URL
    private let handle: FileHandle
    private let limit: Int
    private var hasher = Insecure.MD5()
    private var pending: [UInt8] = []
    private(set) var size = 0
    private(set) var failure: APIError?

    /// Writes are batched: a body arrives in slices of a few KiB.
    private static let flushThreshold = 1 << 18
    /// A NUL byte within the first bytes means a binary file, whatever its name says.
    private static let sniffLength = 8192

    init(url: URL, limit: Int) throws {
        guard FileManager.default.createFile(atPath: url.path, contents: nil),
            let handle = FileHandle(forWritingAtPath: url.path)
        else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
        }
        self.url = url
        self.handle = handle
        self.limit = limit
    }

    func append(_ buffer: ByteBuffer) {
        buffer.withUnsafeReadableBytes { append($0) }
    }

    func append(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil else { return }
        guard size + bytes.count <= limit else {
            failure = RequestDecoding.payloadTooLarge(limit: limit)
            return
        }
        if size < Self.sniffLength, bytes.prefix(Self.sniffLength - size).contains(0) {
            failure = .validation(field: "file", problem: "the file is binary, not CSV text")
            return
        }
        hasher.update(bufferPointer: bytes)
        pending.append(contentsOf: bytes)
        size += bytes.count
        if pending.count >= Self.flushThreshold { flush() }
    }

    /// Flushes and closes the file; the digest of everything appended.
    func finish() throws -> DataVersion.Digest {
        flush()
        try handle.close()
        if let failure { throw failure }
        return DataVersion.digest(finishing: hasher, size: size)
    }

    /// Closes and deletes the file (an upload that failed or turned out to be a duplicate).
    func discard() {
        try? handle.close()
        try? FileManager.default.removeItem(at: url)
    }

    private func flush() {
        guard !pending.isEmpty, failure == nil else { return }
        do {
            try handle.write(contentsOf: pending)
            pending.removeAll(keepingCapacity: true)
        } catch {
            failure = APIError(
                HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"), code: "storage_failed",
                message: "The upload could not be stored: \(error.localizedDescription)")
        }
    }
}
