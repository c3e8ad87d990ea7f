/// A column-oriented table: what the CSV reader produces and every ML step consumes.
public struct Table: Sendable, Equatable {
    public private(set) var columns: [Column]
    public let rowCount: Int

    public init(columns: [Column]) throws(TableError) {
        let rowCount = columns.first?.count ?? 0
        var seen = Set<String>()
        for column in columns {
            guard column.count == rowCount else { throw .columnLengthMismatch(column: column.name, expected: rowCount, actual: column.count) }
            guard seen.insert(column.name).inserted else { throw .duplicateColumn(column.name) }
        }
        self.columns = columns
        self.rowCount = rowCount
    }

    public var columnNames: [String] { columns.map(\.name) }

    public var schema: TableSchema {
        TableSchema(columns: columns.map(ColumnSchema.init(describing:)))
    }

    public func column(named name: String) -> Column? {
        columns.first { $0.name == name }
    }

    public func index(of name: String) -> Int? {
        columns.firstIndex { $0.name == name }
    }

    public func dropping(columns names: Set<String>) -> Table {
        // Removing columns cannot break the invariants checked at construction.
        var copy = self
        copy.columns.removeAll { names.contains($0.name) }
        return copy
    }

    public func selecting(rows: [Int]) -> Table {
        var copy = self
        copy.columns = columns.map { $0.selecting(rows: rows) }
        return Table(validated: copy.columns, rowCount: rows.count)
    }

    private init(validated columns: [Column], rowCount: Int) {
        self.columns = columns
        self.rowCount = rowCount
    }
}

public enum TableError: Error, Sendable, Equatable, CustomStringConvertible {
    case columnLengthMismatch(column: String, expected: Int, actual: Int)
    case duplicateColumn(String)

    public var description: String {
        switch self {
        case .columnLengthMismatch(let column, let expected, let actual):
            "column '\(column)' has \(actual) values, expected \(expected)"
        case .duplicateColumn(let name):
            "duplicate column name '\(name)'"
        }
    }
}

/// Name, kind and domain of one column; what a model bundle records as its input schema.
public struct ColumnSchema: Codable, Sendable, Equatable {
    public var name: String
    public var kind: ColumnKind
    public var nullable: Bool
    /// Labels of a categorical column, in code order.
    public var categories: [String]?

    public init(name: String, kind: ColumnKind, nullable: Bool, categories: [String]? = nil) {
        self.name = name
        self.kind = kind
        self.nullable = nullable
        self.categories = categories
    }

    public init(describing column: Column) {
        var categories: [String]?
        if case .categorical(_, let labels) = column.storage { categories = labels }
        self.init(name: column.name, kind: column.kind, nullable: column.missingCount > 0, categories: categories)
    }
}

public struct TableSchema: Codable, Sendable, Equatable {
    public var columns: [ColumnSchema]

    public init(columns: [ColumnSchema]) {
        self.columns = columns
    }
}
