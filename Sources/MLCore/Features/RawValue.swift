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
