/// Trees in a few bytes a node, for bundles. A fitted tree is a full binary tree, so its nodes in
/// pre-order (left before right), each marked leaf or split, are enough to rebuild it: no child
/// indices are stored. Thresholds are bin edges, a few hundred per feature at most, so each
/// feature's distinct thresholds are stored once and a split names one by index; leaf values
/// repeat often (pure classification leaves), so they are tabled too when that is smaller.
/// Every number keeps its exact bits: a decoded tree predicts exactly what the fitted one did.
///
/// Layout (integers are LEB128 varints, doubles 8 bytes little-endian):
///
///     "MLTR" version(1 byte) leafWidth treeCount
///     featureCount { thresholdCount threshold… }…
///     leafMode(1 byte: 0 inline, 1 table) [tableCount { value×leafWidth }…]
///     per tree, per node in pre-order:
///       0, then the leaf (leafWidth values, or a table index)
///       2·feature+1, then the threshold's index in its feature's list
///       2·feature+2, then a category set: its size, its first code, the gaps after it less one
enum CompactTrees {
    static let magic: [UInt8] = Array("MLTR".utf8)
    static let version: UInt8 = 1
    /// 512 MiB of leaf values in one block, over a thousand times a large forest's.
    static let maximumLeafValues = 1 << 26

    static func encode(_ trees: [TreeStructure], leafWidth: Int) -> [UInt8] {
        let orders = trees.map(\.preorder)
        var thresholds: [[Double]] = []
        var thresholdIndex: [[UInt64: Int]] = []
        var leaves: [[Double]] = []
        var leafIndex: [[UInt64]: Int] = [:]
        var leafCount = 0
        // The tables, in the order the nodes are written, so equal trees give equal bytes.
        for (tree, order) in zip(trees, orders) {
            for node in order {
                let feature = Int(tree.feature[node])
                if feature < 0 {
                    leafCount += 1
                    let values = Array(tree.leafValues(of: node, width: leafWidth))
                    let key = values.map(\.bitPattern)
                    if leafIndex[key] == nil {
                        leafIndex[key] = leaves.count
                        leaves.append(values)
                    }
                    continue
                }
                while thresholds.count <= feature {
                    thresholds.append([])
                    thresholdIndex.append([:])
                }
                if tree.isCategorical(node) { continue }
                let bits = tree.threshold[node].bitPattern
                if thresholdIndex[feature][bits] == nil {
                    thresholdIndex[feature][bits] = thresholds[feature].count
                    thresholds[feature].append(tree.threshold[node])
                }
            }
        }
        let tabled = leaves.count * leafWidth * 8 + leafCount * VarInt.size(leaves.count) < leafCount * leafWidth * 8

        var bytes = magic + [version]
        VarInt.append(leafWidth, to: &bytes)
        VarInt.append(trees.count, to: &bytes)
        VarInt.append(thresholds.count, to: &bytes)
        for list in thresholds {
            VarInt.append(list.count, to: &bytes)
            for value in list { appendDouble(value, to: &bytes) }
        }
        bytes.append(tabled ? 1 : 0)
        if tabled {
            VarInt.append(leaves.count, to: &bytes)
            for values in leaves { for value in values { appendDouble(value, to: &bytes) } }
        }
        for (tree, order) in zip(trees, orders) {
            for node in order {
                let feature = Int(tree.feature[node])
                if feature < 0 {
                    bytes.append(0)
                    let values = tree.leafValues(of: node, width: leafWidth)
                    if tabled {
                        VarInt.append(leafIndex[values.map(\.bitPattern)] ?? 0, to: &bytes)
                    } else {
                        for value in values { appendDouble(value, to: &bytes) }
                    }
                } else if tree.isCategorical(node) {
                    let codes = tree.categorySets[Int(tree.categorySet[node])]
                    VarInt.append(2 * feature + 2, to: &bytes)
                    VarInt.append(codes.count, to: &bytes)
                    var previous = -1
                    for code in codes {
                        VarInt.append(Int(code) - previous - 1, to: &bytes)
                        previous = Int(code)
                    }
                } else {
                    VarInt.append(2 * feature + 1, to: &bytes)
                    VarInt.append(thresholdIndex[feature][tree.threshold[node].bitPattern] ?? 0, to: &bytes)
                }
            }
        }
        return bytes
    }

    /// Rebuilds the trees, numbering nodes as the forests' tree grower does (children allocated in
    /// pairs, the left subtree first), so a forest decodes equal to the one that was fitted;
    /// boosting's leaf-wise trees come back renumbered, with the same splits and leaves. Every count
    /// is checked against the bytes left before anything is allocated for it.
    static func decode(_ bytes: [UInt8], leafWidth expectedWidth: Int) throws(BundleInconsistency) -> [TreeStructure] {
        precondition(expectedWidth > 0, "a leaf holds at least one value")
        var reader = ByteReader(bytes)
        guard try reader.bytes(magic.count) == magic[...] else { throw BundleInconsistency("compact trees: not a tree block") }
        let version = try reader.byte()
        guard version == Self.version else { throw BundleInconsistency("compact trees: version \(version) is not \(Self.version)") }
        let leafWidth = try reader.count(atMost: TreeStructure.maximumLeafWidth)
        guard leafWidth == expectedWidth else {
            throw BundleInconsistency("compact trees: \(leafWidth) values per leaf where the model has \(expectedWidth)")
        }
        let treeCount = try reader.count(atMost: reader.remaining)
        let featureCount = try reader.count(atMost: reader.remaining)
        var thresholds: [[Double]] = []
        thresholds.reserveCapacity(featureCount)
        for _ in 0..<featureCount {
            let count = try reader.count(atMost: reader.remaining / 8)
            thresholds.append(try (0..<count).map { _ throws(BundleInconsistency) in try reader.double() })
        }
        let tabled: Bool
        switch try reader.byte() {
        case 0: tabled = false
        case 1: tabled = true
        case let mode: throw BundleInconsistency("compact trees: leaf mode \(mode)")
        }
        var leaves: [Double] = []
        if tabled {
            let count = try reader.count(atMost: reader.remaining / (8 * leafWidth))
            leaves = try (0..<count * leafWidth).map { _ throws(BundleInconsistency) in try reader.double() }
        }
        var trees: [TreeStructure] = []
        trees.reserveCapacity(treeCount)
        // A tabled leaf of a few bytes expands to `leafWidth` values: the total is bounded too.
        var leafValueBudget = Self.maximumLeafValues
        for _ in 0..<treeCount {
            var tree = TreeStructure()
            var pending = [tree.appendNode()]
            while let node = pending.popLast() {
                // Each node takes at least one byte, so the node count is bounded by the input.
                let tag = try reader.count(atMost: 2 * featureCount)
                if tag == 0 {
                    leafValueBudget -= leafWidth
                    guard leafValueBudget >= 0 else { throw BundleInconsistency("compact trees: over \(Self.maximumLeafValues) leaf values") }
                    tree.left[node] = Int32(tree.leafValues.count)
                    if tabled {
                        let index = try reader.count(atMost: leaves.count / leafWidth - 1)
                        tree.leafValues.append(contentsOf: leaves[(index * leafWidth)..<((index + 1) * leafWidth)])
                    } else {
                        for _ in 0..<leafWidth { tree.leafValues.append(try reader.double()) }
                    }
                    continue
                }
                let feature = (tag - 1) / 2
                guard tree.feature.count < Int(Int32.max) - 2 else { throw BundleInconsistency("compact trees: a tree of over 2³¹ nodes") }
                if tag % 2 == 1 {
                    tree.threshold[node] = thresholds[feature][try reader.count(atMost: thresholds[feature].count - 1)]
                } else {
                    let size = try reader.count(atMost: reader.remaining)
                    guard size > 0 else { throw BundleInconsistency("compact trees: an empty category set") }
                    var codes: [Int32] = []
                    codes.reserveCapacity(size)
                    var previous = -1
                    for _ in 0..<size {
                        previous += 1 + (try reader.count(atMost: Int(Int32.max) - 1 - previous))
                        codes.append(Int32(previous))
                    }
                    tree.setCategories(codes, of: node)
                }
                let left = tree.appendNode()
                let right = tree.appendNode()
                tree.feature[node] = Int32(feature)
                tree.left[node] = Int32(left)
                tree.right[node] = Int32(right)
                pending.append(right)
                pending.append(left)
            }
            trees.append(tree)
        }
        guard reader.remaining == 0 else { throw BundleInconsistency("compact trees: \(reader.remaining) bytes after the last tree") }
        return trees
    }

    private static func appendDouble(_ value: Double, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

extension TreeStructure {
    /// Node indices in pre-order, left subtree first.
    fileprivate var preorder: [Int] {
        var order: [Int] = []
        order.reserveCapacity(feature.count)
        var pending = [0]
        while let node = pending.popLast() {
            order.append(node)
            if feature[node] >= 0 {
                pending.append(Int(right[node]))
                pending.append(Int(left[node]))
            }
        }
        return order
    }

    fileprivate func leafValues(of node: Int, width: Int) -> ArraySlice<Double> {
        leafValues[Int(left[node])..<(Int(left[node]) + width)]
    }
}

/// Unsigned LEB128: seven bits a byte, low bits first, the high bit set on every byte but the last.
enum VarInt {
    static func append(_ value: Int, to bytes: inout [UInt8]) {
        var rest = UInt64(value)
        while rest >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        bytes.append(UInt8(rest))
    }

    static func size(_ value: Int) -> Int {
        var rest = UInt64(value)
        var size = 1
        while rest >= 0x80 {
            rest >>= 7
            size += 1
        }
        return size
    }
}

/// Reads a byte block front to back; running off the end is an inconsistency, never a trap.
struct ByteReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - position }

    mutating func byte() throws(BundleInconsistency) -> UInt8 {
        guard position < bytes.count else { throw BundleInconsistency("compact trees: the block ends early") }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func bytes(_ count: Int) throws(BundleInconsistency) -> ArraySlice<UInt8> {
        guard count <= remaining else { throw BundleInconsistency("compact trees: the block ends early") }
        defer { position += count }
        return bytes[position..<position + count]
    }

    /// A varint no larger than `limit` (a negative limit admits nothing).
    mutating func count(atMost limit: Int) throws(BundleInconsistency) -> Int {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let next = try byte()
            guard shift < 63 else { throw BundleInconsistency("compact trees: a number runs past 64 bits") }
            value |= UInt64(next & 0x7F) << shift
            if next & 0x80 == 0 { break }
            shift += 7
        }
        guard limit >= 0, value <= UInt64(limit) else { throw BundleInconsistency("compact trees: \(value) where at most \(limit) fits") }
        return Int(value)
    }

    mutating func double() throws(BundleInconsistency) -> Double {
        var bits: UInt64 = 0
        for (shift, byte) in try bytes(8).enumerated() { bits |= UInt64(byte) << (8 * UInt64(shift)) }
        return Double(bitPattern: bits)
    }
}
