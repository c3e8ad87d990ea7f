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

    private mutating func append(_ tree: TreeStructure, node: Int) {
        let index = nodes.count
        if tree.feature[node] < 0 {
            nodes.append(Node(threshold: tree.leafValues[Int(tree.left[node])], feature: -1, right: -1))
            return
        }
        nodes.append(Node(threshold: tree.threshold[node], feature: tree.feature[node], right: -1))
        append(tree, node: Int(tree.left[node]))
        nodes[index].right = Int32(nodes.count)
        append(tree, node: Int(tree.right[node]))
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
