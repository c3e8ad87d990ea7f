import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// The PostgreSQL database every replica of every role shares: a connection pool that runs for the
/// life of the process, and forward-only migrations applied once however many replicas start
/// together.
public final class SharedDatabase: Sendable {
    public let client: PostgresClient
    let logger: Logger

    /// One schema change: applied in one transaction, recorded under its id, never edited once
    /// released (add another instead).
    public struct Migration: Sendable {
        public var id: String
        public var statements: [String]

        public init(_ id: String, _ statements: [String]) {
            self.id = id
            self.statements = statements
        }
    }

    public convenience init(url: String, logger: Logger) throws {
        self.init(configuration: try Self.configuration(url: url), logger: logger)
    }

    public init(configuration: PostgresClient.Configuration, logger: Logger) {
        client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        self.logger = logger
    }

    /// Runs the pool until the task is cancelled; queries wait until it runs.
    public func run() async {
        await client.run()
    }

    /// For `/ready`: the database answers a query.
    public func readinessCheck() async -> FieldProblem? {
        do {
            try await client.query("SELECT 1", logger: logger)
            return nil
        } catch {
            return FieldProblem(field: "database", problem: "PostgreSQL is not reachable")
        }
    }

    /// How many rows a statement returned: with `RETURNING 1`, how many it changed.
    public func rowCount(_ query: PostgresQuery) async throws -> Int {
        var count = 0
        for try await _ in try await client.query(query, logger: logger) {
            count += 1
        }
        return count
    }

    /// The whole number in the first column of the first row (a `COUNT(*)`), 0 without rows.
    public func integer(_ query: PostgresQuery) async throws -> Int {
        for try await value in try await client.query(query, logger: logger).decode(Int.self) {
            return value
        }
        return 0
    }

    /// Runs `body` in a transaction, committed when it returns and rolled back when it throws;
    /// the error it throws is the one the caller sees (not PostgresNIO's wrapper around it).
    public func transaction<Result>(
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresConnection) async throws -> sending Result
    ) async throws -> sending Result {
        do {
            return try await client.withTransaction(logger: logger, isolation: isolation, body)
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error
        }
    }

    /// Applies the migrations not applied yet, in order, while holding an advisory lock, so
    /// replicas starting at the same moment apply each one exactly once.
    public func migrate(_ migrations: [Migration]) async throws {
        try await withAdvisoryLock(.migrations) { connection in
            try await apply(migrations, on: connection)
        }
    }

    /// Keys of the advisory locks replicas take for one-time work: fixed numbers no other
    /// application is likely to use.
    public struct LockKey: Sendable {
        let value: Int64

        public static let migrations = LockKey(value: 0x6D6C_6F70_7364)
        public static let stagingSweep = LockKey(value: 0x6D6C_6F70_7365)
    }

    /// Runs `body` while holding a session advisory lock: replicas doing the same one-time work
    /// at the same moment take turns.
    public func withAdvisoryLock<Result: Sendable>(
        _ key: LockKey, _ body: (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(key.value))", logger: logger)
            let result: Result
            do {
                result = try await body(connection)
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(key.value))", logger: logger)
                throw error
            }
            try await connection.query("SELECT pg_advisory_unlock(\(key.value))", logger: logger)
            return result
        }
    }

    private func apply(_ migrations: [Migration], on connection: PostgresConnection) async throws {
        try await connection.query(
            "CREATE TABLE IF NOT EXISTS mlopsd_migrations (id TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
            logger: logger
        )
        var applied: Set<String> = []
        for try await id in try await connection.query("SELECT id FROM mlopsd_migrations", logger: logger).decode(String.self) {
            applied.insert(id)
        }
        for migration in migrations where !applied.contains(migration.id) {
            try await connection.withTransaction(logger: logger) { transaction in
                for statement in migration.statements {
                    try await transaction.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await transaction.query("INSERT INTO mlopsd_migrations (id) VALUES (\(migration.id))", logger: logger)
            }
            logger.notice("database migration applied", metadata: ["migration": "\(migration.id)"])
        }
    }

    /// `postgres://user:password@host:port/database?sslmode=disable|prefer|require`, as libpq
    /// spells it (a password with reserved characters percent-encoded).
    public static func configuration(url text: String) throws -> PostgresClient.Configuration {
        guard let url = URLComponents(string: text), ["postgres", "postgresql"].contains(url.scheme ?? ""),
            let host = url.host, !host.isEmpty, let user = url.user, !user.isEmpty
        else {
            throw SettingsError(variable: "MLOPSD_DATABASE_URL", problem: "expected postgres://user:password@host:port/database")
        }
        let database = url.path.hasPrefix("/") ? String(url.path.dropFirst()) : url.path
        let mode = url.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        default:
            throw SettingsError(variable: "MLOPSD_DATABASE_URL", problem: "sslmode must be disable, prefer or require, got '\(mode)'")
        }
        return PostgresClient.Configuration(
            host: host, port: url.port ?? 5432, username: user, password: url.password,
            database: database.isEmpty ? nil : database, tls: tls
        )
    }
}
