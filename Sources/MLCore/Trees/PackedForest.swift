/// All trees of an ensemble in one contiguous array, for fast prediction: a node is 16 bytes
/// (threshold, feature, right child; the left child is the next node), leaves keep their value
/// in `threshold`. Built from `TreeStructure`s after fitting or loading.
struct PackedForest: Sendable, Equatable {
    struct Node: Sendable, Equatable {
        var threshold: Double
        /// -1 for a leaf.
        var feature: Int32
        var right: Int32
    }

    private(set) var nodes: [Node] = []
    private(set) var roots: [Int32] = []

    init() {}

    /// Packs single-output trees (leaf value = `leafValues[offset]`).
    init(_ trees: [TreeStructure]) {
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
                nodes.append(Node(threshold: tree.leafValues[Int(tree.left[node])], feature: -1, right: -1))
                continue
            }
            let index = nodes.count
            nodes.append(Node(threshold: tree.threshold[node], feature: tree.feature[node], right: -1))
            pending.append((Int(tree.right[node]), index))
            pending.append((Int(tree.left[node]), nil))
        }
    }

    /// Adds each tree's output for one row to `scores[tree % tracks]`.
    func accumulate(row: UnsafeBufferPointer<Double>, tracks: Int, into scores: UnsafeMutableBufferPointer<Double>) {
        nodes.withUnsafeBufferPointer { nodes in
            for (index, root) in roots.enumerated() {
                var node = Int(root)
                while nodes[node].feature >= 0 {
                    let current = nodes[node]
                    node = row[Int(current.feature)] <= current.threshold ? node + 1 : Int(current.right)
                }
                scores[index % tracks] += nodes[node].threshold
            }
        }
    }
}
