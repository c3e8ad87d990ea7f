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
    /// The bins row-major (`[row * columns + feature]`), when a whole leaf histogram stays in
    /// cache: then a row's bins are one read and its gradient pair is loaded once for every
    /// feature (LightGBM's row-wise histograms), instead of one gather per feature.
    private let rowBins: UnsafeMutablePointer<UInt8>?
    /// Histograms of the row chunks other cores add up, merged into the leaf's afterwards.
    private let partials: UnsafeMutablePointer<Double>
    private let offsetTable: UnsafeMutablePointer<Int>
    /// Gradient pairs gathered in leaf order for the column-wise path.
    private let ordered: UnsafeMutablePointer<Double>
    /// The right side of a partition while the left is compacted in place.
    private let partitionScratch: UnsafeMutablePointer<Int32>

    /// Row chunks of a large row-wise histogram, summed in this order whatever the core count, so
    /// a fit gives the same trees on any machine.
    static let chunks = 4

    /// Largest histogram (in doubles) built row-wise: 256 KiB, about what one core's L2 holds
    /// beside the rows streaming through.
    static let rowWiseHistogramLimit = 32 * 1024

    /// Runs the row chunks of one histogram on every core.
    private let workers: FitWorkers

    /// `rowWise` nil chooses by histogram size; tests set it to compare the two ways.
    init(data: BinnedMatrix, parameters: GradientBoosting.Parameters, workers: FitWorkers, rowWise: Bool? = nil) {
        self.data = data
        self.parameters = parameters
        self.workers = workers
        var offsets: [Int] = []
        var total = 0
        for count in data.binCounts {
            offsets.append(total)
            total += count * 3
        }
        self.offsets = offsets
        histogramSize = total
        storage = .allocate(capacity: max(1, total * parameters.numLeaves))
        let useRowWise = rowWise ?? (total <= Self.rowWiseHistogramLimit)
        partials = .allocate(capacity: useRowWise ? total * (Self.chunks - 1) : 1)
        offsetTable = .allocate(capacity: max(1, offsets.count))
        offsetTable.initialize(from: offsets, count: offsets.count)
        ordered = .allocate(capacity: max(1, data.rows * 2))
        partitionScratch = .allocate(capacity: max(1, data.rows))
        if useRowWise {
            let rowMajor = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, data.rows * data.columns))
            data.bins.withUnsafeBufferPointer { bins in
                for column in 0..<data.columns {
                    for row in 0..<data.rows { rowMajor[row * data.columns + column] = bins[column * data.rows + row] }
                }
            }
            rowBins = rowMajor
        } else {
            rowBins = nil
        }
    }

    deinit {
        storage.deallocate()
        partials.deallocate()
        offsetTable.deallocate()
        ordered.deallocate()
        partitionScratch.deallocate()
        rowBins?.deallocate()
    }

    private func slot(_ index: Int) -> UnsafeMutablePointer<Double> { storage + index * histogramSize }

    private struct Split {
        var feature: Int
        /// A threshold split sends bins up to this one left (unused by a categorical split).
        var bin: Int
        var gain: Double
        /// A categorical split sends these bins left, and every other bin right.
        var categoryBins: [Int]? = nil

        /// Per bin value, 1 when it goes left.
        var sides: [UInt8] {
            var sides = [UInt8](repeating: 0, count: 256)
            if let categoryBins {
                for bin in categoryBins { sides[bin] = 1 }
            } else {
                for bin in 0...bin { sides[bin] = 1 }
            }
            return sides
        }
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
        func newNode() -> Int { tree.appendNode() }
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
            let sides = split.sides
            let middle = partition(&indices, parent.range, feature: split.feature, sides: sides)
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
            for bin in 0..<data.binCounts[split.feature] where sides[bin] == 1 {
                leftGradient += leftHistogram[base + bin * 3]
                leftHessian += leftHistogram[base + bin * 3 + 1]
            }
            let leftNode = newNode()
            let rightNode = newNode()
            tree.feature[parent.node] = Int32(split.feature)
            if let categoryBins = split.categoryBins {
                tree.setCategories(categoryBins.map { data.categories[split.feature][$0 - 1] }.sorted(), of: parent.node)
            } else {
                tree.threshold[parent.node] = data.thresholds[split.feature][split.bin]
            }
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

    /// Moves the rows of `range` whose bin of `feature` goes left (`sides[bin] == 1`) to its
    /// front, keeping their order, and returns where the others start. Without a branch per row: each row is
    /// written to both sides and only the side it belongs to moves on, so a split's unpredictable
    /// left-or-right costs no mispredictions. A large range is cut into one piece per core, each
    /// partitioned on its own, then the pieces' sides are put together in order: the result is
    /// the same however many pieces there were.
    private func partition(_ indices: inout [Int32], _ range: Range<Int>, feature: Int, sides: [UInt8]) -> Int {
        let sides = UncheckedBox(sides)
        let scratch = UncheckedBox(partitionScratch)
        let pieces = range.count >= 65_536 ? workers.parts : 1
        return data.bins.withUnsafeBufferPointer { bins in
            indices.withUnsafeMutableBufferPointer { indices in
                let column = UncheckedBox(bins.baseAddress! + feature * data.rows)
                let rows = UncheckedBox(indices.baseAddress!)
                let bounds = (0...pieces).map { range.lowerBound + range.count * $0 / pieces }
                // Per piece: how many of its rows go left (they now lead the piece); its others
                // wait in the scratch buffer at the piece's own offset.
                let lefts = UnsafeMutableBufferPointer<Int>.allocate(capacity: pieces)
                defer { lefts.deallocate() }
                let counts = UncheckedBox(lefts)
                let split: @Sendable (Int) -> Void = { piece in
                    let (rows, column, sides) = (rows.value, column.value, sides.value)
                    let others = scratch.value + (bounds[piece] - range.lowerBound)
                    var left = bounds[piece]
                    var right = 0
                    for index in bounds[piece]..<bounds[piece + 1] {
                        let row = rows[index]
                        let goesLeft = Int(sides[Int(column[Int(row)])])
                        rows[left] = row
                        others[right] = row
                        left += goesLeft
                        right += 1 - goesLeft
                    }
                    counts.value[piece] = left - bounds[piece]
                }
                if pieces == 1 { split(0) } else { workers.run(split) }
                var left = range.lowerBound
                for piece in 0..<pieces {
                    if left != bounds[piece] { (rows.value + left).update(from: rows.value + bounds[piece], count: lefts[piece]) }
                    left += lefts[piece]
                }
                var next = left
                for piece in 0..<pieces {
                    let count = (bounds[piece + 1] - bounds[piece]) - lefts[piece]
                    (rows.value + next).update(from: scratch.value + (bounds[piece] - range.lowerBound), count: count)
                    next += count
                }
                return left
            }
        }
    }

    private func fillHistogram(
        _ output: UnsafeMutablePointer<Double>, _ indices: [Int32], _ range: Range<Int>, _ gradients: [Double], _ hessians: [Double]
    ) {
        output.update(repeating: 0, count: histogramSize)
        if let rowBins {
            fillRowWise(output, rowBins, indices, range, gradients, hessians)
        } else {
            fillColumnWise(output, indices, range, gradients, hessians)
        }
    }

    /// A large leaf's rows go in `chunks` chunks, each summed into a histogram of its own by
    /// whichever core takes it, and merged into `output` in chunk order.
    private func fillRowWise(
        _ output: UnsafeMutablePointer<Double>, _ rowBins: UnsafeMutablePointer<UInt8>, _ indices: [Int32], _ range: Range<Int>,
        _ gradients: [Double], _ hessians: [Double]
    ) {
        let columns = data.columns
        // Below this a chunk is too short to pay for handing it over.
        let chunks = range.count * columns >= 16_384 ? Self.chunks : 1
        let size = histogramSize
        let partials = UncheckedBox(partials)
        let offsets = UncheckedBox(offsetTable)
        let target = UncheckedBox(output)
        let cores = workers.parts
        indices.withUnsafeBufferPointer { indices in
            gradients.withUnsafeBufferPointer { gradients in
                hessians.withUnsafeBufferPointer { hessians in
                    let shared = UncheckedBox((indices, gradients, hessians, rowBins))
                    let fill: @Sendable (Int) -> Void = { chunk in
                        let (indices, gradients, hessians, rowBins) = shared.value
                        let histogram = chunk == 0 ? target.value : partials.value + (chunk - 1) * size
                        if chunk > 0 { histogram.update(repeating: 0, count: size) }
                        let offsets = offsets.value
                        let lower = range.lowerBound + range.count * chunk / chunks
                        let upper = range.lowerBound + range.count * (chunk + 1) / chunks
                        for position in lower..<upper {
                            let row = Int(indices[position])
                            let gradient = gradients[row]
                            let hessian = hessians[row]
                            let bins = rowBins + row * columns
                            for feature in 0..<columns {
                                let cell = histogram + offsets[feature] + Int(bins[feature]) * 3
                                cell[0] += gradient
                                cell[1] += hessian
                                cell[2] += 1
                            }
                        }
                    }
                    if chunks == 1 {
                        fill(0)
                    } else {
                        workers.run { part in
                            for chunk in stride(from: part, to: chunks, by: cores) { fill(chunk) }
                        }
                    }
                }
            }
        }
        for chunk in 1..<chunks {
            let partial = partials.value + (chunk - 1) * size
            for index in 0..<size { output[index] += partial[index] }
        }
    }

    /// For wide data, whose histogram outgrows the cache: one feature at a time, cores taking
    /// disjoint features, over the leaf's gradient pairs gathered in leaf order (LightGBM's
    /// "ordered gradients").
    private func fillColumnWise(
        _ output: UnsafeMutablePointer<Double>, _ indices: [Int32], _ range: Range<Int>, _ gradients: [Double], _ hessians: [Double]
    ) {
        let columns = data.columns
        let rows = data.rows
        let ordered = ordered
        indices.withUnsafeBufferPointer { indices in
            for (position, index) in range.enumerated() {
                let row = Int(indices[index])
                ordered[2 * position] = gradients[row]
                ordered[2 * position + 1] = hessians[row]
            }
        }
        let shared = UncheckedBox((output, ordered))
        let fill = { (features: Range<Int>) in
            self.data.bins.withUnsafeBufferPointer { bins in
                indices.withUnsafeBufferPointer { indices in
                    let (histogram, ordered) = shared.value
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

    private func bestSplit(_ leaf: Leaf, _ mask: [Bool]) -> Split? {
        if let maxDepth = parameters.maxDepth, leaf.depth >= maxDepth { return nil }
        if leaf.range.count < 2 * parameters.minDataInLeaf { return nil }
        let lambda = parameters.lambdaL2
        let parentScore = leaf.gradient * leaf.gradient / (leaf.hessian + lambda)
        let histogram = slot(leaf.slot)
        var best: Split?
        for feature in 0..<data.columns where mask[feature] {
            if data.isCategorical(feature) {
                if let split = bestCategoricalSplit(leaf, feature: feature, histogram: histogram, parentScore: parentScore),
                    split.gain > (best?.gain ?? 0)
                {
                    best = split
                }
                continue
            }
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

    /// LightGBM's categorical split. With few categories, one against the rest; otherwise the
    /// categories with at least `cat_smooth` rows, ordered by Σg / (Σh + cat_smooth), and the best
    /// run of up to `max_cat_threshold` of them from either end, scored with `cat_l2` added to
    /// `lambda_l2` and only at steps of `min_data_per_group` rows. Bin 0 (missing, unseen and
    /// rare categories) always goes right.
    private func bestCategoricalSplit(_ leaf: Leaf, feature: Int, histogram: UnsafeMutablePointer<Double>, parentScore: Double) -> Split? {
        let cells = histogram + offsets[feature]
        let total = Double(leaf.range.count)
        let minData = Double(parameters.minDataInLeaf)
        let minHessian = parameters.minSumHessianInLeaf
        var used: [Int] = []
        for bin in 1..<data.binCounts[feature] where cells[bin * 3 + 2] > 0 { used.append(bin) }
        var best: Split?
        func score(_ gradient: Double, _ hessian: Double, _ count: Double, lambda: Double) -> Double? {
            let rightCount = total - count
            let rightHessian = leaf.hessian - hessian
            guard count >= minData, hessian >= minHessian, rightCount >= minData, rightHessian >= minHessian else { return nil }
            let rightGradient = leaf.gradient - gradient
            return gradient * gradient / (hessian + lambda) + rightGradient * rightGradient / (rightHessian + lambda) - parentScore
        }
        // LightGBM decides by the feature's categories, not by those present in the leaf.
        if data.categories[feature].count <= parameters.maxCatToOnehot {
            for bin in used {
                if let gain = score(cells[bin * 3], cells[bin * 3 + 1], cells[bin * 3 + 2], lambda: parameters.lambdaL2), gain > 1e-12,
                    gain > (best?.gain ?? 0)
                {
                    best = Split(feature: feature, bin: 0, gain: gain, categoryBins: [bin])
                }
            }
            return best
        }
        let smooth = parameters.catSmooth
        var ordered: [(ratio: Double, bin: Int)] = []
        ordered.reserveCapacity(used.count)
        for bin in used where cells[bin * 3 + 2] >= smooth {
            let denominator = cells[bin * 3 + 1] + smooth
            ordered.append((denominator > 0 ? cells[bin * 3] / denominator : 0, bin))
        }
        ordered.sort { $0 < $1 }
        let limit = min(parameters.maxCatThreshold, (ordered.count + 1) / 2)
        let lambda = parameters.lambdaL2 + parameters.catL2
        let minGroup = Double(parameters.minDataPerGroup)
        for reversed in [false, true] {
            var gradient = 0.0
            var hessian = 0.0
            var count = 0.0
            var group = 0.0
            for taken in 0..<limit {
                let bin = ordered[reversed ? ordered.count - 1 - taken : taken].bin
                gradient += cells[bin * 3]
                hessian += cells[bin * 3 + 1]
                count += cells[bin * 3 + 2]
                group += cells[bin * 3 + 2]
                if total - count < max(minData, minGroup) || leaf.hessian - hessian < minHessian { break }
                guard group >= minGroup, let gain = score(gradient, hessian, count, lambda: lambda) else { continue }
                group = 0
                if gain > 1e-12, gain > (best?.gain ?? 0) {
                    let chosen = reversed ? ordered.suffix(taken + 1) : ordered.prefix(taken + 1)
                    best = Split(feature: feature, bin: 0, gain: gain, categoryBins: chosen.map(\.bin))
                }
            }
        }
        return best
    }
}
