import Foundation

/// A bundle file from format 3 on: a short binary header, then one deflated body holding the
/// bundle's JSON (with trees replaced by block references) and the blocks themselves.
///
///     magic(8: \x89 M L B \r \n \x1A \n) formatVersion(u32) bodyLength(u64)   little-endian
///     deflate( headerLength(u32) headerJSON blocks… )
///
/// The magic's first byte is not `{`, so the JSON form and this one are told apart by their
/// first byte; the line-ending bytes catch a file mangled by a text-mode transfer.
enum CompactBundle {
    static let magic: [UInt8] = [0x89, 0x4D, 0x4C, 0x42, 0x0D, 0x0A, 0x1A, 0x0A]
    static let formatVersion = 3
    /// A bound on what one bundle may inflate to (deflate's own ceiling is about 1032:1): the
    /// largest bundles measured are under 1 MiB.
    static let maximumBodyLength = 1 << 28

    static func isCompact(_ data: Data) -> Bool {
        data.starts(with: magic)
    }

    static func write(header: Data, blocks: [UInt8]) -> Data {
        var body: [UInt8] = []
        body.reserveCapacity(4 + header.count + blocks.count)
        appendInteger(UInt32(header.count), to: &body)
        body.append(contentsOf: header)
        body.append(contentsOf: blocks)
        var file = magic
        appendInteger(UInt32(formatVersion), to: &file)
        appendInteger(UInt64(body.count), to: &file)
        file.append(contentsOf: Deflate.compress(body))
        return Data(file)
    }

    /// The version in the file header, read before anything is inflated, so a newer bundle is
    /// refused as newer rather than as damaged.
    static func formatVersion(of data: Data) throws(BundleInconsistency) -> Int {
        let bytes = [UInt8](data.prefix(magic.count + 4))
        guard bytes.count == magic.count + 4 else { throw BundleInconsistency("compact bundle: the file ends inside its header") }
        return Int(integer(UInt32.self, in: bytes[...], at: magic.count))
    }

    static func read(_ data: Data) throws(BundleInconsistency) -> (header: Data, blocks: [UInt8]) {
        let bytes = [UInt8](data)
        let prefix = magic.count + 4 + 8
        guard bytes.count > prefix else { throw BundleInconsistency("compact bundle: the file ends inside its header") }
        let declared = integer(UInt64.self, in: bytes[...], at: magic.count + 4)
        let compressed = bytes.count - prefix
        guard declared >= 4, declared <= UInt64(min(maximumBodyLength, compressed * 1032 + 64)) else {
            throw BundleInconsistency("compact bundle: a body of \(declared) bytes from \(compressed) compressed is not believable")
        }
        let body = try Deflate.decompress(bytes[prefix...], length: Int(declared))
        let headerLength = Int(integer(UInt32.self, in: body[...], at: 0))
        guard headerLength <= body.count - 4 else {
            throw BundleInconsistency("compact bundle: a header of \(headerLength) bytes in a body of \(body.count)")
        }
        return (Data(body[4..<(4 + headerLength)]), Array(body[(4 + headerLength)...]))
    }

    private static func appendInteger<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    /// A little-endian integer at `offset`; the caller has checked the bytes are there.
    private static func integer<T: FixedWidthInteger>(_: T.Type, in bytes: ArraySlice<UInt8>, at offset: Int) -> T {
        var value: T = 0
        for index in 0..<MemoryLayout<T>.size {
            value |= T(bytes[bytes.startIndex + offset + index]) << (8 * index)
        }
        return value
    }
}
