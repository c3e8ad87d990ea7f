import Dispatch

/// Grows one boosting tree leaf-wise on gradient/hessian histograms. Histograms live in one
/// buffer allocated per fit, one slot per possible leaf: a split builds the smaller child into a
/// free slot and turns the parent's slot into the larger child by subtraction, so growing a tree
/// allocates nothing.
final class LeafWiseGrower {
    let data: BinnedMatrix
    let parameters: GradientBoosting.Parameters
    /// Start of each feature's bins in a leaf histogram; each bin holds (Σg, Σh, count).
    private let offsets: [Int]
    private let histogramSize: Int
    private let storage: UnsafeMutablePointer<Double>

    init(data: BinnedMatrix, parameters: GradientBoosting.Parameters) {
        self.data = data
        self.parameters = parameters
        var offsets: [Int] = []
        var total = 0
        for count in data.binCounts {
            offsets.append(total)
            total += count * 3
        }
        self.offsets = offsets
        histogramSize = total
        storage = .allocate(capacity: max(1, total * parameters.numLeaves))
    }

    deinit {
        storage.deallocate()
    }

    private func slot(_ index: Int) -> UnsafeMutablePointer<Double> { storage + index * histogramSize }

    private struct Split {
        var feature: Int
        var bin: Int
        var gain: Double
    }

    private struct Leaf {
        var range: Range<Int>
        var depth: Int
        var node: Int
        /// Pool slot holding this leaf's histogram.
        var slot: Int
        var gradient: Double
        var hessian: Double
        var best: Split?
    }

    /// Returns the tree, each row's leaf-value offset (-1 for rows not in `rows`), and gain per feature.
    func grow(rows: [Int32], gradients: [Double], hessians: [Double], features mask: [Bool]) -> (TreeStructure, [Int32], [Double]) {
        var indices = rows
        var tree = TreeStructure()
        var gains = [Double](repeating: 0, count: data.columns)
        func newNode() -> Int {
            tree.feature.append(-1)
            tree.threshold.append(0)
            tree.left.append(0)
            tree.right.append(0)
            return tree.feature.count - 1
        }
        var freeSlots = Array((1..<parameters.numLeaves).reversed())
        fillHistogram(slot(0), indices, 0..<indices.count, gradients, hessians)
        var root = Leaf(range: 0..<indices.count, depth: 0, node: newNode(), slot: 0, gradient: 0, hessian: 0, best: nil)
        for index in root.range {
            root.gradient += gradients[Int(indices[index])]
            root.hessian += hessians[Int(indices[index])]
        }
        root.best = bestSplit(root, mask)
        var leaves = [root]

        while leaves.count < parameters.numLeaves {
            guard let chosen = leaves.indices.filter({ leaves[$0].best != nil }).max(by: { leaves[$0].best!.gain < leaves[$1].best!.gain }),
                let split = leaves[chosen].best
            else { break }
            let parent = leaves[chosen]
            gains[split.feature] += split.gain
            let column = split.feature * data.rows
            let middle = data.bins.withUnsafeBufferPointer { bins in
                indices.withUnsafeMutableBufferPointer { indices in
                    var middle = parent.range.lowerBound
                    for index in parent.range where Int(bins[column + Int(indices[index])]) <= split.bin {
                        indices.swapAt(index, middle)
                        middle += 1
                    }
                    return middle
                }
            }
            let leftRange = parent.range.lowerBound..<middle
            let rightRange = middle..<parent.range.upperBound
            // Build the smaller child's histogram; the parent's slot becomes the sibling by subtraction.
            let leftIsSmaller = leftRange.count <= rightRange.count
            let smallSlot = freeSlots.removeLast()
            let small = slot(smallSlot)
            fillHistogram(small, indices, leftIsSmaller ? leftRange : rightRange, gradients, hessians)
            let large = slot(parent.slot)
            for index in 0..<histogramSize { large[index] -= small[index] }
            let leftSlot = leftIsSmaller ? smallSlot : parent.slot
            let rightSlot = leftIsSmaller ? parent.slot : smallSlot
            var leftGradient = 0.0
            var leftHessian = 0.0
            let base = offsets[split.feature]
            let leftHistogram = slot(leftSlot)
            for bin in 0...split.bin {
                leftGradient += leftHistogram[base + bin * 3]
                leftHessian += leftHistogram[base + bin * 3 + 1]
            }
            let leftNode = newNode()
            let rightNode = newNode()
            tree.feature[parent.node] = Int32(split.feature)
            tree.threshold[parent.node] = data.thresholds[split.feature][split.bin]
            tree.left[parent.node] = Int32(leftNode)
            tree.right[parent.node] = Int32(rightNode)
            var left = Leaf(
                range: leftRange, depth: parent.depth + 1, node: leftNode, slot: leftSlot,
                gradient: leftGradient, hessian: leftHessian, best: nil)
            var right = Leaf(
                range: rightRange, depth: parent.depth + 1, node: rightNode, slot: rightSlot,
                gradient: parent.gradient - leftGradient, hessian: parent.hessian - leftHessian, best: nil)
            left.best = bestSplit(left, mask)
            right.best = bestSplit(right, mask)
            leaves[chosen] = left
            leaves.append(right)
        }

        var leafOfRow = [Int32](repeating: -1, count: data.rows)
        for leaf in leaves {
            let offset = Int32(tree.leafValues.count)
            tree.left[leaf.node] = offset
            tree.leafValues.append(-parameters.learningRate * leaf.gradient / (leaf.hessian + parameters.lambdaL2))
            for index in leaf.range { leafOfRow[Int(indices[index])] = offset }
        }
        return (tree, leafOfRow, gains)
    }

    private func fillHistogram(
        _ output: UnsafeMutablePointer<Double>, _ indices: [Int32], _ range: Range<Int>, _ gradients: [Double], _ hessians: [Double]
    ) {
        output.update(repeating: 0, count: histogramSize)
        let columns = data.columns
        let rows = data.rows
        // Gather the node's gradients once, in node order, so the per-feature loops read them
        // sequentially (LightGBM's "ordered gradients").
        var ordered = [Double](repeating: 0, count: range.count * 2)
        indices.withUnsafeBufferPointer { indices in
            for (position, index) in range.enumerated() {
                let row = Int(indices[index])
                ordered[2 * position] = gradients[row]
                ordered[2 * position + 1] = hessians[row]
            }
        }
        do {
            let shared = UncheckedBox(output)
            let fill = { (features: Range<Int>) in
                self.data.bins.withUnsafeBufferPointer { bins in
                    indices.withUnsafeBufferPointer { indices in
                        ordered.withUnsafeBufferPointer { ordered in
                            let histogram = shared.value
                            let first = range.lowerBound
                            for feature in features {
                                let base = histogram + self.offsets[feature]
                                let column = bins.baseAddress! + feature * rows
                                for position in 0..<range.count {
                                    let cell = base + Int(column[Int(indices[first + position])]) * 3
                                    cell[0] += ordered[2 * position]
                                    cell[1] += ordered[2 * position + 1]
                                    cell[2] += 1
                                }
                            }
                        }
                    }
                }
            }
            // Features fill disjoint parts of the histogram, so they can be split across cores.
            if range.count * columns >= 50_000, Parallel.cores > 1, columns > 1 {
                let parts = min(Parallel.cores, columns)
                let work = UncheckedBox(fill)
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    work.value((columns * part / parts)..<(columns * (part + 1) / parts))
                }
            } else {
                fill(0..<columns)
            }
        }
    }

    private func bestSplit(_ leaf: Leaf, _ mask: [Bool]) -> Split? {
        if let maxDepth = parameters.maxDepth, leaf.depth >= maxDepth { return nil }
        if leaf.range.count < 2 * parameters.minDataInLeaf { return nil }
        let lambda = parameters.lambdaL2
        let parentScore = leaf.gradient * leaf.gradient / (leaf.hessian + lambda)
        let histogram = slot(leaf.slot)
        var best: Split?
        for feature in 0..<data.columns where mask[feature] {
            let base = offsets[feature]
            let bins = data.thresholds[feature].count + 1
            var gradient = 0.0
            var hessian = 0.0
            var count = 0.0
            for bin in 0..<(bins - 1) {
                gradient += histogram[base + bin * 3]
                hessian += histogram[base + bin * 3 + 1]
                count += histogram[base + bin * 3 + 2]
                let rightCount = Double(leaf.range.count) - count
                if count < Double(parameters.minDataInLeaf) || hessian < parameters.minSumHessianInLeaf { continue }
                if rightCount < Double(parameters.minDataInLeaf) { break }
                let rightGradient = leaf.gradient - gradient
                let rightHessian = leaf.hessian - hessian
                if rightHessian < parameters.minSumHessianInLeaf { continue }
                let gain = gradient * gradient / (hessian + lambda) + rightGradient * rightGradient / (rightHessian + lambda) - parentScore
                if gain > 1e-12, gain > (best?.gain ?? 0) { best = Split(feature: feature, bin: bin, gain: gain) }
            }
        }
        return best
    }
}
