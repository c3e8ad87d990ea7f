/// A per-column summary of a table, as `mlopsd profile` prints it and the data role stores it.
public struct TableProfile: Codable, Sendable, Equatable {
    public var rows: Int
    public var duplicateRows: Int
    public var target: String?
    public var columns: [ColumnProfile]

    enum CodingKeys: String, CodingKey {
        case rows
        case duplicateRows = "duplicate_rows"
        case target, columns
    }
}

public struct ValueCount: Codable, Sendable, Equatable {
    public var value: String
    public var count: Int
}

public struct ColumnProfile: Codable, Sendable, Equatable {
    public enum Flag: String, Codable, Sendable {
        /// One distinct value (or none): carries no information.
        case constant
        /// Every value distinct strings or integers: an identifier, not a feature.
        case idLike = "id_like"
    }

    public var name: String
    public var kind: ColumnKind
    public var count: Int
    public var missing: Int
    public var missingFraction: Double
    public var distinct: Int
    public var min: Double?
    public var max: Double?
    public var mean: Double?
    public var std: Double?
    public var top: [ValueCount]?
    /// Counts in `histogramBins` equal-width bins from `min` to `max`, the last one closed, for
    /// numeric and date-time columns with more than one distinct value.
    public var histogram: [Int]?
    public var flags: [Flag]

    public static let histogramBins = 10

    enum CodingKeys: String, CodingKey {
        case name, kind, count, missing
        case missingFraction = "missing_fraction"
        case distinct, min, max, mean, std, top, histogram, flags
    }
}

extension TableProfile {
    public init(table: Table, target: String? = nil, topValues: Int = 5) {
        rows = table.rowCount
        duplicateRows = table.rowCount - RowHashing.distinctRowCount(table)
        self.target = target
        columns = table.columns.map { ColumnProfile(column: $0, rows: table.rowCount, topValues: topValues) }
    }
}

extension ColumnProfile {
    init(column: Column, rows: Int, topValues: Int) {
        name = column.name
        kind = column.kind
        missing = column.missingCount
        count = rows - missing
        missingFraction = rows == 0 ? 0 : Double(missing) / Double(rows)
        flags = []
        switch column.storage {
        case .numeric(let values), .dateTime(let values):
            let present = values.filter { !$0.isNaN }
            distinct = Set(present).count
            if !present.isEmpty {
                let summary = Summary(present)
                min = summary.min
                max = summary.max
                mean = summary.mean
                std = summary.std
                if summary.max > summary.min { histogram = Self.histogram(present, from: summary.min, to: summary.max) }
            }
            if column.kind == .numeric, distinct == rows, rows > 1, present.allSatisfy({ $0 == $0.rounded() }) {
                flags.append(.idLike)
            }
        case .categorical(let codes, let labels):
            var counts = [Int](repeating: 0, count: labels.count)
            for code in codes where code >= 0 { counts[Int(code)] += 1 }
            distinct = counts.filter { $0 > 0 }.count
            top = ValueCount.top(labels: labels, counts: counts, limit: topValues)
            if distinct == rows, rows > 1 { flags.append(.idLike) }
        case .boolean(let values):
            let trues = values.filter { $0 == 1 }.count
            let falses = values.filter { $0 == 0 }.count
            distinct = (trues > 0 ? 1 : 0) + (falses > 0 ? 1 : 0)
            top = ValueCount.top(labels: ["false", "true"], counts: [falses, trues], limit: 2)
        }
        if distinct <= 1 { flags.insert(.constant, at: 0) }
    }
}

extension ColumnProfile {
    public static func histogram(_ values: [Double], from low: Double, to high: Double) -> [Int] {
        var counts = [Int](repeating: 0, count: histogramBins)
        // In halves, so that the span of values near ±Double.greatestFiniteMagnitude stays finite.
        let span = high / 2 - low / 2
        for value in values {
            let position = (value / 2 - low / 2) / span * Double(histogramBins)
            let bin = position.isNaN ? 0 : Int(Swift.min(Swift.max(position, 0), Double(histogramBins - 1)))
            counts[bin] += 1
        }
        return counts
    }
}

extension ValueCount {
    static func top(labels: [String], counts: [Int], limit: Int) -> [ValueCount] {
        labels.indices.filter { counts[$0] > 0 }
            .sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : labels[$0] < labels[$1] }
            .prefix(limit)
            .map { ValueCount(value: labels[$0], count: counts[$0]) }
    }
}

/// min, max, mean and sample standard deviation (n − 1, as pandas reports), in one pass (Welford).
struct Summary {
    var min = Double.infinity
    var max = -Double.infinity
    var mean = 0.0
    var std: Double?

    init(_ values: [Double]) {
        var m2 = 0.0
        var n = 0.0
        for value in values {
            n += 1
            let delta = value - mean
            mean += delta / n
            m2 += delta * (value - mean)
            min = Swift.min(min, value)
            max = Swift.max(max, value)
        }
        std = n > 1 ? (m2 / (n - 1)).squareRoot() : nil
    }
}
