import Foundation
import Synchronization

extension CodingUserInfoKey {
    /// The `BundleBlocks` of a compact bundle being written or read. Without one, trees are
    /// written as JSON arrays of numbers (the JSON form of a bundle, formats 1 and 2).
    static let bundleBlocks = CodingUserInfoKey(rawValue: "mlopsd.bundleBlocks")!
}

/// Where a block sits in the binary part of a compact bundle.
struct BlockReference: Codable, Sendable, Equatable {
    var offset: Int
    var length: Int
}

/// The binary part of a compact bundle: blocks appended while the JSON header is encoded (the
/// header keeps only their references), and read back by reference when it is decoded.
final class BundleBlocks: Sendable {
    private let storage: Mutex<[UInt8]>

    init(_ bytes: [UInt8] = []) {
        storage = Mutex(bytes)
    }

    var bytes: [UInt8] { storage.withLock { $0 } }

    func append(_ block: [UInt8]) -> BlockReference {
        storage.withLock { bytes in
            defer { bytes.append(contentsOf: block) }
            return BlockReference(offset: bytes.count, length: block.count)
        }
    }

    func block(_ reference: BlockReference) throws(BundleInconsistency) -> [UInt8] {
        try storage.withLock { bytes throws(BundleInconsistency) in
            guard reference.offset >= 0, reference.length >= 0, reference.offset <= bytes.count - reference.length else {
                throw BundleInconsistency("a block at \(reference.offset) of \(reference.length) bytes lies outside the bundle's \(bytes.count)")
            }
            return Array(bytes[reference.offset..<(reference.offset + reference.length)])
        }
    }
}

extension KeyedEncodingContainer {
    /// Trees as a `CompactTrees` block of a compact bundle, or as JSON arrays in a JSON bundle.
    mutating func encodeTrees(_ trees: [TreeStructure], leafWidth: Int, forKey key: Key, userInfo: [CodingUserInfoKey: Any]) throws {
        if let blocks = userInfo[.bundleBlocks] as? BundleBlocks {
            try encode(blocks.append(CompactTrees.encode(trees, leafWidth: leafWidth)), forKey: key)
        } else {
            try encode(trees, forKey: key)
        }
    }
}

extension KeyedDecodingContainer {
    /// Reads either form `encodeTrees` writes.
    func decodeTrees(forKey key: Key, leafWidth: Int, userInfo: [CodingUserInfoKey: Any]) throws -> [TreeStructure] {
        guard let reference = try? decode(BlockReference.self, forKey: key) else { return try decode([TreeStructure].self, forKey: key) }
        guard let blocks = userInfo[.bundleBlocks] as? BundleBlocks else {
            throw BundleInconsistency("the trees refer to a block, and only a compact bundle has blocks")
        }
        return try CompactTrees.decode(blocks.block(reference), leafWidth: leafWidth)
    }
}
