import Foundation
import GRDB
import Logging
import PostgresNIO

/// How one role's SQLite file maps onto the shared database: what `mlopsd db migrate-to-postgres`
/// copies. Tables and columns have the same names on both sides; values are converted by the
/// PostgreSQL column's type.
public struct RoleStateLayout: Sendable {
    /// `<state dir>/<database>.sqlite`.
    public var database: String
    public var durability: AppDatabase.Durability
    public var sqliteMigrations: @Sendable (inout DatabaseMigrator) -> Void
    public var postgresMigrations: [SharedDatabase.Migration]
    /// In dependency order: a table before those that reference it.
    public var tables: [TableCopy]

    public init(
        database: String, durability: AppDatabase.Durability = .normal,
        sqliteMigrations: @escaping @Sendable (inout DatabaseMigrator) -> Void,
        postgresMigrations: [SharedDatabase.Migration], tables: [TableCopy]
    ) {
        self.database = database
        self.durability = durability
        self.sqliteMigrations = sqliteMigrations
        self.postgresMigrations = postgresMigrations
        self.tables = tables
    }
}

public struct TableCopy: Sendable {
    public var table: String
    /// Serial columns the destination numbers itself: nothing refers to them, and several
    /// source files would collide on them (`jobs.seq` in data.sqlite and train.sqlite).
    public var renumbered: Set<String>
    /// Values for destination columns the source has no column for.
    public var fixed: [String: String]
    /// A serial column copied as it is, because other tables refer to it, with the natural key
    /// that must agree where the destination already has the same number; the sequence is
    /// moved past the copied numbers afterwards.
    public var keptSerial: (column: String, naturalKey: String)?

    public init(_ table: String, renumbered: Set<String> = [], fixed: [String: String] = [:], keptSerial: (column: String, naturalKey: String)? = nil) {
        self.table = table
        self.renumbered = renumbered
        self.fixed = fixed
        self.keptSerial = keptSerial
    }
}

/// One table's outcome: rows in the SQLite file, and how many of them were not in PostgreSQL yet.
public struct TableCount: Sendable, Equatable {
    public var table: String
    public var source: Int
    public var copied: Int
}

public struct StateTransferError: Error, CustomStringConvertible {
    public let description: String
}

/// Copies SQLite state into the shared database. Idempotent: rows already there (by primary or
/// unique key) are left alone, so a second run copies nothing and an interrupted run can be
/// repeated. Each table is copied in one transaction.
public struct StateTransfer: Sendable {
    let database: SharedDatabase
    let logger: Logger

    public init(database: SharedDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Nil when the role has no SQLite file in `stateDirectory`.
    public func copy(_ layout: RoleStateLayout, stateDirectory: String) async throws -> [TableCount]? {
        let path = URL(fileURLWithPath: stateDirectory).appendingPathComponent("\(layout.database).sqlite").path
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        // Opening migrates an older file forward, as starting the role would.
        let source = try AppDatabase.open(stateDirectory: stateDirectory, name: layout.database, migrations: layout.sqliteMigrations)
        try await database.migrate(layout.postgresMigrations)
        var counts: [TableCount] = []
        for table in layout.tables {
            counts.append(try await copy(table, from: source))
        }
        return counts
    }

    private func copy(_ table: TableCopy, from source: AppDatabase) async throws -> TableCount {
        let types = try await columnTypes(of: table.table)
        let rows = try source.pool.read { db in try Row.fetchAll(db, sql: "SELECT * FROM \(table.table)") }
        guard let first = rows.first else { return TableCount(table: table.table, source: 0, copied: 0) }
        // A SQLite column PostgreSQL lacks would be lost without a word: refuse instead.
        let copied = Set(first.columnNames).subtracting(table.renumbered).sorted()
        for column in copied where types[column] == nil {
            throw StateTransferError(description: "\(table.table).\(column) has no column in PostgreSQL")
        }
        let fixed = table.fixed.keys.filter { types[$0] != nil && !copied.contains($0) }.sorted()
        let columns = copied + fixed
        let placeholders = columns.enumerated().map { index, column in
            "$\(index + 1)" + (types[column] == "jsonb" ? "::jsonb" : "")
        }
        let sql = """
            INSERT INTO \(table.table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders.joined(separator: ", ")))
            ON CONFLICT DO NOTHING RETURNING 1
            """
        if let kept = table.keptSerial {
            try await checkNoClash(table.table, kept: kept, rows: rows)
        }
        let inserted = try await database.transaction { connection in
            var inserted = 0
            for row in rows {
                var bindings = PostgresBindings()
                for column in copied {
                    try Self.bind(row[column] as DatabaseValue, as: types[column] ?? "text", into: &bindings, at: "\(table.table).\(column)")
                }
                for column in fixed {
                    bindings.append(table.fixed[column] ?? "")
                }
                let result = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
                for try await _ in result { inserted += 1 }
            }
            if let kept = table.keptSerial {
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: """
                            SELECT setval(pg_get_serial_sequence('\(table.table)', '\(kept.column)'),
                                          GREATEST((SELECT max(\(kept.column)) FROM \(table.table)), 1))
                            """), logger: logger)
            }
            return inserted
        }
        return TableCount(table: table.table, source: rows.count, copied: inserted)
    }

    /// A kept number already used in PostgreSQL for another row would attach the copied rows
    /// that refer to it to the wrong parent.
    private func checkNoClash(_ table: String, kept: (column: String, naturalKey: String), rows: [Row]) async throws {
        var existing: [Int64: String] = [:]
        let result = try await database.client.query(
            PostgresQuery(unsafeSQL: "SELECT \(kept.column)::BIGINT, \(kept.naturalKey)::TEXT FROM \(table)"), logger: logger
        )
        for try await (id, key) in result.decode((Int64, String).self) { existing[id] = key }
        for row in rows {
            guard let id: Int64 = row[kept.column], let other = existing[id] else { continue }
            let key: String = row[kept.naturalKey] ?? ""
            guard other == key else {
                throw StateTransferError(
                    description: """
                        \(table) \(kept.column) \(id) is '\(other)' in PostgreSQL but '\(key)' in SQLite: \
                        the database already holds another deployment's state; migrate into an empty database
                        """)
            }
        }
    }

    private func columnTypes(of table: String) async throws -> [String: String] {
        var types: [String: String] = [:]
        let rows = try await database.client.query(
            "SELECT column_name::TEXT, data_type::TEXT FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = \(table)",
            logger: logger
        )
        for try await (name, type) in rows.decode((String, String).self) { types[name] = type }
        guard !types.isEmpty else { throw StateTransferError(description: "PostgreSQL has no table \(table)") }
        return types
    }

    static func bind(_ value: DatabaseValue, as type: String, into bindings: inout PostgresBindings, at field: String) throws {
        if value.isNull {
            bindings.appendNull()
            return
        }
        switch type {
        case "bigint", "integer", "smallint":
            guard let number = Int64.fromDatabaseValue(value) else { throw unconvertible(value, type, field) }
            bindings.append(number)
        case "boolean":
            guard let flag = Bool.fromDatabaseValue(value) else { throw unconvertible(value, type, field) }
            bindings.append(flag)
        case "double precision", "real", "numeric":
            guard let number = Double.fromDatabaseValue(value) else { throw unconvertible(value, type, field) }
            bindings.append(number)
        case "timestamp with time zone", "timestamp without time zone":
            guard let date = Date.fromDatabaseValue(value) else { throw unconvertible(value, type, field) }
            bindings.append(date)
        case "bytea":
            guard let data = Data.fromDatabaseValue(value) else { throw unconvertible(value, type, field) }
            try bindings.append(data)
        default:
            guard let text = String.fromDatabaseValue(value) ?? Int64.fromDatabaseValue(value).map(String.init) else {
                throw unconvertible(value, type, field)
            }
            bindings.append(text)
        }
    }

    static func unconvertible(_ value: DatabaseValue, _ type: String, _ field: String) -> StateTransferError {
        StateTransferError(description: "\(field): \(value) does not convert to PostgreSQL \(type)")
    }
}
