/// Tree-growing settings shared by single trees and forests.
struct TreeSettings: Sendable {
    var maxDepth: Int?
    var minSamplesSplit: Int
    var minSamplesLeaf: Int
    /// Features examined per split (all when nil).
    var featuresPerSplit: Int?
}

/// A fitted binary tree in flat arrays. Internal nodes test `x[feature] <= threshold`, or, for a
/// categorical split, whether the category code `x[feature]` is in the node's category set; leaves
/// hold class probabilities (classification) or a mean (regression) in `leafValues`.
public struct TreeStructure: Sendable, Equatable {
    /// -1 marks a leaf.
    public var feature: [Int32] = []
    public var threshold: [Double] = []
    /// For internal nodes the children; for leaves `left` is the offset into `leafValues`.
    public var left: [Int32] = []
    public var right: [Int32] = []
    public var leafValues: [Double] = []
    /// Per node, the index of its category set in `categorySets`, or -1 for a threshold split;
    /// empty when the tree has no categorical split.
    public var categorySet: [Int32] = []
    /// Sorted category codes that go left; any other code, a missing value or an unseen one goes right.
    public var categorySets: [[Int32]] = []

    func leafOffset(for row: ArraySlice<Double>) -> Int {
        var node = 0
        let base = row.startIndex
        while feature[node] >= 0 {
            let value = row[base + Int(feature[node])]
            let goesLeft = isCategorical(node) ? Self.contains(categorySets[Int(categorySet[node])], code: value) : value <= threshold[node]
            node = Int(goesLeft ? left[node] : right[node])
        }
        return Int(left[node])
    }

    /// Whether `value` is a category code in the sorted `codes` (the packed forest searches its
    /// runs of codes with this too).
    @inline(__always)
    static func contains(_ codes: some RandomAccessCollection<Int32>, code value: Double) -> Bool {
        guard let code = Int32(exactly: value) else { return false }
        var low = codes.startIndex
        var high = codes.endIndex
        while low < high {
            let middle = codes.index(low, offsetBy: codes.distance(from: low, to: high) / 2)
            if codes[middle] < code { low = codes.index(after: middle) } else { high = middle }
        }
        return low < codes.endIndex && codes[low] == code
    }
}

extension TreeStructure {
    /// The most values a leaf may hold (a forest's class probabilities): a bound on what a
    /// loaded bundle can make prediction allocate per leaf.
    static let maximumLeafWidth = 10_000

    func isCategorical(_ node: Int) -> Bool {
        !categorySet.isEmpty && categorySet[node] >= 0
    }

    /// Makes `node` a categorical split on the sorted `codes`.
    mutating func setCategories(_ codes: [Int32], of node: Int) {
        if categorySet.isEmpty { categorySet = [Int32](repeating: -1, count: feature.count) }
        categorySet[node] = Int32(categorySets.count)
        categorySets.append(codes)
    }

    /// A new leaf node; returns its index.
    mutating func appendNode() -> Int {
        feature.append(-1)
        threshold.append(0)
        left.append(0)
        right.append(0)
        if !categorySet.isEmpty { categorySet.append(-1) }
        return feature.count - 1
    }
}

extension TreeStructure: Codable {
    enum CodingKeys: String, CodingKey {
        case feature, threshold, left, right, leafValues, categorySet, categorySets
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        feature = try container.decode([Int32].self, forKey: .feature)
        threshold = try container.decode([Double].self, forKey: .threshold)
        left = try container.decode([Int32].self, forKey: .left)
        right = try container.decode([Int32].self, forKey: .right)
        leafValues = try container.decode([Double].self, forKey: .leafValues)
        categorySet = try container.decodeIfPresent([Int32].self, forKey: .categorySet) ?? []
        categorySets = try container.decodeIfPresent([[Int32]].self, forKey: .categorySets) ?? []
    }

    /// A tree without categorical splits is written as before they existed.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(feature, forKey: .feature)
        try container.encode(threshold, forKey: .threshold)
        try container.encode(left, forKey: .left)
        try container.encode(right, forKey: .right)
        try container.encode(leafValues, forKey: .leafValues)
        if !categorySet.isEmpty {
            try container.encode(categorySet, forKey: .categorySet)
            try container.encode(categorySets, forKey: .categorySets)
        }
    }
}

/// Grows one CART tree on binned features: Gini impurity for classification, squared error for
/// regression, best split over histogram bins, depth first.
struct TreeGrower {
    let data: BinnedMatrix
    let targets: Targets
    let settings: TreeSettings
    let outputs: Int
    var generator: SeededGenerator
    private(set) var tree = TreeStructure()
    private(set) var importances: [Double]

    init(data: BinnedMatrix, targets: Targets, settings: TreeSettings, seed: UInt64) {
        self.data = data
        self.targets = targets
        self.settings = settings
        self.outputs = targets.task == .classification ? targets.classCount : 1
        self.generator = SeededGenerator(seed: seed)
        self.importances = Array(repeating: 0, count: data.columns)
    }

    /// Grows the tree over `rows` (repeated rows are bootstrap copies) with per-row `weights`.
    mutating func grow(rows: [Int32], weights: [Double]) -> TreeStructure {
        var rows = rows
        var stack: [(node: Int, range: Range<Int>, depth: Int)] = [(newNode(), 0..<rows.count, 0)]
        var stats = [Double](repeating: 0, count: outputs + 1)
        while let (node, range, depth) = stack.popLast() {
            nodeStats(rows, range, weights, into: &stats)
            let split = shouldSplit(range: range, depth: depth, stats: stats) ? bestSplit(rows, range, weights, stats) : nil
            guard let split else {
                makeLeaf(node, stats: stats)
                continue
            }
            importances[split.feature] += split.gain
            // Partition: rows whose bin ≤ split.bin first.
            let column = split.feature * data.rows
            var middle = range.lowerBound
            for index in range where Int(data.bins[column + Int(rows[index])]) <= split.bin {
                rows.swapAt(index, middle)
                middle += 1
            }
            let leftChild = newNode()
            let rightChild = newNode()
            tree.feature[node] = Int32(split.feature)
            tree.threshold[node] = data.thresholds[split.feature][split.bin]
            tree.left[node] = Int32(leftChild)
            tree.right[node] = Int32(rightChild)
            stack.append((rightChild, middle..<range.upperBound, depth + 1))
            stack.append((leftChild, range.lowerBound..<middle, depth + 1))
        }
        return tree
    }

    private mutating func newNode() -> Int { tree.appendNode() }

    /// stats[0] = total weight; then class weights, or the weighted sum of y.
    private func nodeStats(_ rows: [Int32], _ range: Range<Int>, _ weights: [Double], into stats: inout [Double]) {
        for index in stats.indices { stats[index] = 0 }
        for index in range {
            let row = Int(rows[index])
            let weight = weights[row]
            stats[0] += weight
            if targets.task == .classification {
                stats[1 + Int(targets.values[row])] += weight
            } else {
                stats[1] += weight * targets.values[row]
            }
        }
    }

    private func shouldSplit(range: Range<Int>, depth: Int, stats: [Double]) -> Bool {
        if let maxDepth = settings.maxDepth, depth >= maxDepth { return false }
        if range.count < settings.minSamplesSplit || range.count < 2 * settings.minSamplesLeaf { return false }
        if targets.task == .classification {
            // A pure node has nothing left to separate.
            return stats[1...].filter { $0 > 0 }.count > 1
        }
        return true
    }

    private mutating func makeLeaf(_ node: Int, stats: [Double]) {
        tree.left[node] = Int32(tree.leafValues.count)
        let total = max(stats[0], .leastNonzeroMagnitude)
        if targets.task == .classification {
            for output in 0..<outputs { tree.leafValues.append(stats[1 + output] / total) }
        } else {
            tree.leafValues.append(stats[1] / total)
        }
    }

    private struct Split {
        var feature: Int
        var bin: Int
        var gain: Double
    }

    private mutating func bestSplit(_ rows: [Int32], _ range: Range<Int>, _ weights: [Double], _ parent: [Double]) -> Split? {
        let candidates = candidateFeatures()
        let classification = targets.task == .classification
        let width = classification ? outputs : 2  // per bin: class weights, or (weight, weighted y)
        let parentScore = score(parent[1...], total: parent[0], classification: classification)
        var best: Split?
        var histogram: [Double] = []
        var counts: [Int] = []
        for feature in candidates {
            let binCount = data.thresholds[feature].count + 1
            guard binCount > 1 else { continue }
            histogram = [Double](repeating: 0, count: binCount * width)
            counts = [Int](repeating: 0, count: binCount)
            let column = feature * data.rows
            for index in range {
                let row = Int(rows[index])
                let bin = Int(data.bins[column + row])
                let weight = weights[row]
                counts[bin] += 1
                if classification {
                    histogram[bin * width + Int(targets.values[row])] += weight
                } else {
                    histogram[bin * width] += weight
                    histogram[bin * width + 1] += weight * targets.values[row]
                }
            }
            var leftSums = [Double](repeating: 0, count: width)
            var leftWeight = 0.0
            var leftCount = 0
            for bin in 0..<(binCount - 1) {
                leftCount += counts[bin]
                for output in 0..<width { leftSums[output] += histogram[bin * width + output] }
                leftWeight = classification ? leftSums.reduce(0, +) : leftSums[0]
                let rightCount = range.count - leftCount
                if leftCount < settings.minSamplesLeaf { continue }
                if rightCount < settings.minSamplesLeaf { break }
                let rightWeight = parent[0] - leftWeight
                guard leftWeight > 0, rightWeight > 0 else { continue }
                let leftScore: Double
                let rightScore: Double
                if classification {
                    leftScore = score(leftSums[...], total: leftWeight, classification: true)
                    var right = 0.0
                    for output in 0..<outputs {
                        let value = parent[1 + output] - leftSums[output]
                        right += value * value
                    }
                    rightScore = right / rightWeight
                } else {
                    leftScore = leftSums[1] * leftSums[1] / leftWeight
                    let rightSum = parent[1] - leftSums[1]
                    rightScore = rightSum * rightSum / rightWeight
                }
                let gain = leftScore + rightScore - parentScore
                if gain > 1e-12 * max(1, abs(parentScore)), gain > (best?.gain ?? 0) {
                    best = Split(feature: feature, bin: bin, gain: gain)
                }
            }
        }
        return best
    }

    /// Σ s² / total over class sums (Gini), or (Σ wy)² / total (squared error): larger is purer.
    private func score(_ sums: ArraySlice<Double>, total: Double, classification: Bool) -> Double {
        guard total > 0 else { return 0 }
        if classification { return sums.reduce(0) { $0 + $1 * $1 } / total }
        return sums[sums.startIndex] * sums[sums.startIndex] / total
    }

    private mutating func candidateFeatures() -> [Int] {
        let all = Array(0..<data.columns)
        guard let count = settings.featuresPerSplit, count < data.columns else { return all }
        var pool = all
        for index in 0..<count {
            let pick = index + Int(generator.next() % UInt64(pool.count - index))
            pool.swapAt(index, pick)
        }
        return Array(pool[..<count])
    }
}
