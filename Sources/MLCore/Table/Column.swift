/// What a column holds, as inferred from the whole file.
public enum ColumnKind: String, Codable, Sendable, CaseIterable {
    case numeric
    case categorical
    case boolean
    case dateTime = "datetime"
}

/// Column values in their compact, unboxed form.
public enum ColumnStorage: Sendable {
    /// Missing values are NaN.
    case numeric([Double])
    /// Dictionary-encoded strings: `codes[i]` indexes `labels`; missing is -1.
    case categorical(codes: [Int32], labels: [String])
    /// 0 = false, 1 = true, -1 = missing.
    case boolean([Int8])
    /// Seconds since 1970-01-01T00:00:00Z; missing is NaN.
    case dateTime([Double])
}

extension ColumnStorage: Equatable {
    /// Missing equals missing: NaN placeholders compare equal, so tables round-trip.
    public static func == (lhs: ColumnStorage, rhs: ColumnStorage) -> Bool {
        func same(_ a: [Double], _ b: [Double]) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
        }
        switch (lhs, rhs) {
        case (.numeric(let a), .numeric(let b)), (.dateTime(let a), .dateTime(let b)): return same(a, b)
        case (.categorical(let a, let labelsA), .categorical(let b, let labelsB)): return a == b && labelsA == labelsB
        case (.boolean(let a), .boolean(let b)): return a == b
        default: return false
        }
    }
}

public struct Column: Sendable, Equatable {
    public var name: String
    public var storage: ColumnStorage

    public init(name: String, storage: ColumnStorage) {
        self.name = name
        self.storage = storage
    }

    public var kind: ColumnKind {
        switch storage {
        case .numeric: .numeric
        case .categorical: .categorical
        case .boolean: .boolean
        case .dateTime: .dateTime
        }
    }

    public var count: Int {
        switch storage {
        case .numeric(let values), .dateTime(let values): values.count
        case .categorical(let codes, _): codes.count
        case .boolean(let values): values.count
        }
    }

    public func isMissing(_ row: Int) -> Bool {
        switch storage {
        case .numeric(let values), .dateTime(let values): values[row].isNaN
        case .categorical(let codes, _): codes[row] < 0
        case .boolean(let values): values[row] < 0
        }
    }

    public var missingCount: Int {
        switch storage {
        case .numeric(let values), .dateTime(let values): values.reduce(0) { $0 + ($1.isNaN ? 1 : 0) }
        case .categorical(let codes, _): codes.reduce(0) { $0 + ($1 < 0 ? 1 : 0) }
        case .boolean(let values): values.reduce(0) { $0 + ($1 < 0 ? 1 : 0) }
        }
    }

    /// The value at `row` as text, as it would be written back to CSV (empty when missing).
    public func text(at row: Int) -> String {
        switch storage {
        case .numeric(let values):
            return values[row].isNaN ? "" : NumberFormatting.shortest(values[row])
        case .dateTime(let values):
            return values[row].isNaN ? "" : DateTimeParsing.format(values[row])
        case .categorical(let codes, let labels):
            return codes[row] < 0 ? "" : labels[Int(codes[row])]
        case .boolean(let values):
            return values[row] < 0 ? "" : (values[row] == 1 ? "true" : "false")
        }
    }

    /// A column with only the given rows, in that order.
    public func selecting(rows: [Int]) -> Column {
        switch storage {
        case .numeric(let values): Column(name: name, storage: .numeric(rows.map { values[$0] }))
        case .dateTime(let values): Column(name: name, storage: .dateTime(rows.map { values[$0] }))
        case .categorical(let codes, let labels): Column(name: name, storage: .categorical(codes: rows.map { codes[$0] }, labels: labels))
        case .boolean(let values): Column(name: name, storage: .boolean(rows.map { values[$0] }))
        }
    }
}

enum NumberFormatting {
    /// Swift's shortest round-tripping representation, without a trailing ".0" for integers.
    static func shortest(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }
}
