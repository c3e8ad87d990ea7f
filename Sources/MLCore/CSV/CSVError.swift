/// Why a CSV file could not be read, with the physical line (1-based) and column where it happened.
public struct CSVError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Problem: Sendable, Equatable {
        case emptyFile
        case noHeader
        case duplicateColumn(String)
        case raggedRow(expected: Int, actual: Int)
        case unterminatedQuote
        case unexpectedCharacterAfterQuote
        case invalidUTF8
        /// A value that does not parse as the kind the column was declared to have.
        case notOfKind(ColumnKind)
        case unreadable(String)
        /// More fields than the reader was allowed to hold in memory.
        case tooManyFields(limit: Int)
    }

    public var problem: Problem
    /// 1-based physical line number (embedded newlines count), when known.
    public var line: Int?
    public var column: String?

    public init(_ problem: Problem, line: Int? = nil, column: String? = nil) {
        self.problem = problem
        self.line = line
        self.column = column
    }

    public var description: String {
        var text: String
        switch problem {
        case .emptyFile: text = "the file is empty"
        case .noHeader: text = "the file has no header row"
        case .duplicateColumn(let name): text = "duplicate column name '\(name)'"
        case .raggedRow(let expected, let actual): text = "expected \(expected) fields, found \(actual)"
        case .unterminatedQuote: text = "a quoted field is never closed"
        case .unexpectedCharacterAfterQuote: text = "unexpected character after a closing quote"
        case .invalidUTF8: text = "text is not valid UTF-8"
        case .notOfKind(let kind):
            text = "value is not \(kind == .numeric ? "a number" : kind == .boolean ? "true or false" : "a date-time"), as the schema declares"
        case .unreadable(let reason): text = "cannot read the file: \(reason)"
        case .tooManyFields(let limit): text = "the file has more than \(limit) fields (rows × columns), the most one upload may have"
        }
        if let line { text = "line \(line): " + text }
        if let column { text += " (column '\(column)')" }
        return text
    }
}
