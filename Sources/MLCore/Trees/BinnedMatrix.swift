import Dispatch

/// Features quantised to at most 255 bins per column (stored column-major as bytes), the input
/// of histogram-based tree building. Split thresholds map back to raw feature values, so fitted
/// trees predict from unbinned features.
struct BinnedMatrix: Sendable {
    let rows: Int
    let columns: Int
    /// `bins[column * rows + row]`
    let bins: [UInt8]
    /// Per column: raw threshold after each bin (`value <= thresholds[b]` ⇔ bin ≤ b); one fewer than the bins.
    let thresholds: [[Double]]
    /// Per categorical column: the category code of each bin from 1 on, most frequent first; bin 0
    /// holds missing and unseen values and the categories beyond the bin limit. Empty for a
    /// numeric column, whose bins are ordered by `thresholds`.
    let categories: [[Int32]]

    let binCounts: [Int]

    func isCategorical(_ column: Int) -> Bool { !categories[column].isEmpty }

    /// `categorical`: bin the columns `features.categoryCounts` marks as categorical by category
    /// (boosting's categorical splits); otherwise every column by value.
    init(_ features: FeatureMatrix, maxBins: Int = 255, categorical: Bool = false) {
        let rows = features.rows
        let columns = features.columns
        self.rows = rows
        self.columns = columns
        var thresholds = [[Double]](repeating: [], count: columns)
        var categories = [[Int32]](repeating: [], count: columns)
        var bins = [UInt8](repeating: 0, count: rows * columns)
        // Columns are binned independently (a sort each): spread them over the cores.
        thresholds.withUnsafeMutableBufferPointer { thresholds in
            categories.withUnsafeMutableBufferPointer { categories in
                bins.withUnsafeMutableBufferPointer { bins in
                    let shared = UncheckedBox((thresholds, categories, bins))
                    DispatchQueue.concurrentPerform(iterations: columns) { column in
                        let (thresholds, categories, bins) = shared.value
                        let values = (0..<rows).map { features[$0, column] }
                        let output = UnsafeMutableBufferPointer(rebasing: bins[(column * rows)..<((column + 1) * rows)])
                        if categorical, features.categoryCounts[column] > 0 {
                            categories[column] = Self.binCategories(values, count: features.categoryCounts[column], maxBins: maxBins, into: output)
                        } else {
                            let edges = Self.edges(sorted: values.sorted(), maxBins: maxBins)
                            thresholds[column] = edges
                            for row in 0..<rows { output[row] = UInt8(Self.bin(of: values[row], edges: edges)) }
                        }
                    }
                }
            }
        }
        self.bins = bins
        self.thresholds = thresholds
        self.categories = categories
        binCounts = zip(thresholds, categories).map { $1.isEmpty ? $0.count + 1 : $1.count + 1 }
    }

    /// One bin per category seen, the most frequent first (ties by code), up to `maxBins - 1`;
    /// everything else in bin 0. Returns the code of each bin from 1 on.
    static func binCategories(_ values: [Double], count: Int, maxBins: Int, into bins: UnsafeMutableBufferPointer<UInt8>) -> [Int32] {
        var frequency = [Int](repeating: 0, count: count)
        for value in values {
            if let code = Int(exactly: value), frequency.indices.contains(code) { frequency[code] += 1 }
        }
        let kept = frequency.indices.filter { frequency[$0] > 0 }.sorted { (frequency[$0], $1) > (frequency[$1], $0) }.prefix(maxBins - 1)
        var binOfCode = [UInt8](repeating: 0, count: count)
        for (rank, code) in kept.enumerated() { binOfCode[code] = UInt8(rank + 1) }
        for (row, value) in values.enumerated() {
            bins[row] = Int(exactly: value).flatMap { binOfCode.indices.contains($0) ? binOfCode[$0] : nil } ?? 0
        }
        return kept.map { Int32($0) }
    }

    /// Midpoints between consecutive distinct values when there are few; otherwise cut points at
    /// equal-count quantiles (duplicates removed), as LightGBM and scikit-learn's histogram trees do.
    static func edges(sorted values: [Double], maxBins: Int) -> [Double] {
        var distinct: [Double] = []
        var counts: [Int] = []
        for value in values {
            if let last = distinct.last, last == value {
                counts[counts.count - 1] += 1
            } else {
                distinct.append(value)
                counts.append(1)
            }
        }
        guard distinct.count > 1 else { return [] }
        if distinct.count <= maxBins {
            return (0..<(distinct.count - 1)).map { (distinct[$0] + distinct[$0 + 1]) / 2 }
        }
        var edges: [Double] = []
        let perBin = Double(values.count) / Double(maxBins)
        var seen = 0
        var target = perBin
        for index in 0..<(distinct.count - 1) {
            seen += counts[index]
            if Double(seen) >= target {
                edges.append((distinct[index] + distinct[index + 1]) / 2)
                while target <= Double(seen) { target += perBin }
                if edges.count == maxBins - 1 { break }
            }
        }
        return edges
    }

    static func bin(of value: Double, edges: [Double]) -> Int {
        var low = 0
        var high = edges.count
        while low < high {
            let middle = (low + high) / 2
            if value <= edges[middle] { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
