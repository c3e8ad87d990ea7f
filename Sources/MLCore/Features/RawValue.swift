/// One input value of a prediction record, as decoded from JSON or CSV by the caller.
public enum RawValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
}

/// A problem with one field of an input record; `field` is the column name.
public struct FieldIssue: Error, Sendable, Equatable, CustomStringConvertible {
    public var field: String
    public var problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }

    public var description: String { "\(field): \(problem)" }
}

extension RawValue {
    /// The value of one table cell, as a prediction record carries it.
    public init(column: Column, row: Int) {
        guard !column.isMissing(row) else {
            self = .null
            return
        }
        switch column.storage {
        case .numeric(let values), .dateTime(let values): self = .number(values[row])
        case .boolean(let values): self = .bool(values[row] == 1)
        case .categorical: self = .string(column.text(at: row))
        }
    }
}
