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

    var binCounts: [Int] { thresholds.map { $0.count + 1 } }

    init(_ features: FeatureMatrix, maxBins: Int = 255) {
        let rows = features.rows
        let columns = features.columns
        self.rows = rows
        self.columns = columns
        var thresholds = [[Double]](repeating: [], count: columns)
        var bins = [UInt8](repeating: 0, count: rows * columns)
        // Columns are binned independently (a sort each): spread them over the cores.
        thresholds.withUnsafeMutableBufferPointer { thresholds in
            bins.withUnsafeMutableBufferPointer { bins in
                let shared = UncheckedBox((thresholds, bins))
                DispatchQueue.concurrentPerform(iterations: columns) { column in
                    let (thresholds, bins) = shared.value
                    var values = (0..<rows).map { features[$0, column] }
                    values.sort()
                    let edges = Self.edges(sorted: values, maxBins: maxBins)
                    thresholds[column] = edges
                    for row in 0..<rows {
                        bins[column * rows + row] = UInt8(Self.bin(of: features[row, column], edges: edges))
                    }
                }
            }
        }
        self.bins = bins
        self.thresholds = thresholds
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
