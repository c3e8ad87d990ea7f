/// All trees of an ensemble in one contiguous array, for fast prediction: a node is 16 bytes
/// (threshold, feature, right child; the left child is the next node), leaves keep their value
/// in `threshold` (or, for leaves of several values, where those start in `leafValues`). A categorical split has `categoricalFlag` added to its feature and the index of
/// its category set in `threshold`. Built from `TreeStructure`s after fitting or loading.
struct PackedForest: Sendable, Equatable {
    struct Node: Sendable, Equatable {
        var threshold: Double
        /// -1 for a leaf.
        var feature: Int32
        var right: Int32
    }

    static let categoricalFlag: Int32 = 1 << 30
    /// Sets whose codes are all below this are bitsets (at most 128 bytes each, so a crafted
    /// bundle cannot make a small set expensive); larger codes are searched in a sorted run.
    static let bitsetCodeLimit: Int32 = 1024

    /// A category set: `count` words of `words` from `start`, or `count` sorted codes of `codes`.
    struct CategorySet: Sendable, Equatable {
        enum Storage: Sendable, Equatable {
            case bitset
            case sortedCodes
        }

        var start: Int
        var count: Int
        var storage: Storage
    }

    private(set) var nodes: [Node] = []
    private(set) var roots: [Int32] = []
    private(set) var sets: [CategorySet] = []
    private(set) var words: [UInt64] = []
    private(set) var codes: [Int32] = []
    /// Values of leaves with more than one (a forest's class probabilities), `leafWidth` each.
    private(set) var leafValues: [Double] = []
    private(set) var leafWidth = 1

    init() {}

    /// Packs trees whose leaves hold `leafWidth` values each (`TreeStructure.leafValues[offset...]`).
    init(_ trees: [TreeStructure], leafWidth: Int = 1) {
        self.leafWidth = leafWidth
        for tree in trees {
            roots.append(Int32(nodes.count))
            append(tree, node: 0)
        }
    }

    /// Depth first, left before right, with an explicit stack: a deep tree must not need a deep
    /// call stack.
    private mutating func append(_ tree: TreeStructure, node root: Int) {
        // A node to emit, and where the parent waits for the index of its right child.
        var pending: [(node: Int, parent: Int?)] = [(root, nil)]
        while let (node, parent) = pending.popLast() {
            if let parent { nodes[parent].right = Int32(nodes.count) }
            if tree.feature[node] < 0 {
                let offset = Int(tree.left[node])
                if leafWidth == 1 {
                    nodes.append(Node(threshold: tree.leafValues[offset], feature: -1, right: -1))
                } else {
                    nodes.append(Node(threshold: Double(leafValues.count), feature: -1, right: -1))
                    leafValues.append(contentsOf: tree.leafValues[offset..<(offset + leafWidth)])
                }
                continue
            }
            let index = nodes.count
            if tree.isCategorical(node) {
                appendSet(tree.categorySets[Int(tree.categorySet[node])])
                nodes.append(Node(threshold: Double(sets.count - 1), feature: tree.feature[node] + Self.categoricalFlag, right: -1))
            } else {
                nodes.append(Node(threshold: tree.threshold[node], feature: tree.feature[node], right: -1))
            }
            pending.append((Int(tree.right[node]), index))
            pending.append((Int(tree.left[node]), nil))
        }
    }

    private mutating func appendSet(_ set: [Int32]) {
        guard let largest = set.last, largest < Self.bitsetCodeLimit else {
            sets.append(CategorySet(start: codes.count, count: set.count, storage: .sortedCodes))
            codes.append(contentsOf: set)
            return
        }
        let count = Int(largest) / 64 + 1
        sets.append(CategorySet(start: words.count, count: count, storage: .bitset))
        words.append(contentsOf: repeatElement(0, count: count))
        for code in set { words[words.count - count + Int(code) / 64] |= 1 << UInt64(code % 64) }
    }

    /// Adds each tree's output for one row to `scores[tree % tracks]`.
    func accumulate(row: UnsafeBufferPointer<Double>, tracks: Int, into scores: UnsafeMutableBufferPointer<Double>) {
        forEachLeaf(row: row) { tree, value in scores[tree % tracks] += value }
    }

    /// Adds every tree's `leafWidth` leaf values for one row to `sums`.
    func accumulateLeaves(row: UnsafeBufferPointer<Double>, into sums: UnsafeMutableBufferPointer<Double>) {
        let width = leafWidth
        guard width > 1 else { return forEachLeaf(row: row) { _, value in sums[0] += value } }
        leafValues.withUnsafeBufferPointer { values in
            forEachLeaf(row: row) { _, offset in
                let start = Int(offset)
                for output in 0..<width { sums[output] += values[start + output] }
            }
        }
    }

    /// Walks every tree for one row and hands over each tree's index and its leaf's `threshold`.
    @inline(__always)
    private func forEachLeaf(row: UnsafeBufferPointer<Double>, _ body: (Int, Double) -> Void) {
        nodes.withUnsafeBufferPointer { nodes in
            sets.withUnsafeBufferPointer { sets in
                words.withUnsafeBufferPointer { words in
                    codes.withUnsafeBufferPointer { codes in
                        for (index, root) in roots.enumerated() {
                            var node = Int(root)
                            while nodes[node].feature >= 0 {
                                let current = nodes[node]
                                let goesLeft =
                                    current.feature < Self.categoricalFlag
                                    ? row[Int(current.feature)] <= current.threshold
                                    : Self.contains(
                                        sets[Int(current.threshold)], row[Int(current.feature - Self.categoricalFlag)], words: words, codes: codes)
                                node = goesLeft ? node + 1 : Int(current.right)
                            }
                            body(index, nodes[node].threshold)
                        }
                    }
                }
            }
        }
    }

    /// Whether `value` is a code of `set`.
    @inline(__always)
    private static func contains(_ set: CategorySet, _ value: Double, words: UnsafeBufferPointer<UInt64>, codes: UnsafeBufferPointer<Int32>) -> Bool {
        guard let code = Int(exactly: value), code >= 0 else { return false }
        if set.storage == .bitset { return code < set.count * 64 && words[set.start + code / 64] & (1 << UInt64(code % 64)) != 0 }
        return TreeStructure.contains(UnsafeBufferPointer(rebasing: codes[set.start..<(set.start + set.count)]), code: value)
    }
}
