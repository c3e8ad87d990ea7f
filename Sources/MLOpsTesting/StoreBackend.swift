import Foundation
import GRDB
import Kernel
import Logging
import PostgresNIO

/// The two homes a store has, for contract suites that hold both to one behaviour: SQLite always,
/// PostgreSQL when MLOPSD_TEST_DATABASE_URL names a database (`deploy/postgres.sh start` makes one).
public enum StoreBackend: String, CaseIterable, Sendable {
    case sqlite, postgres

    public static let databaseURL = ProcessInfo.processInfo.environment["MLOPSD_TEST_DATABASE_URL"]
    public static var available: [StoreBackend] { databaseURL == nil ? [.sqlite] : allCases }

    /// A fresh SQLite database in a directory of its own, removed afterwards.
    public static func withSQLite<Result>(
        migrations: (inout DatabaseMigrator) -> Void, _ body: (AppDatabase) async throws -> Result
    ) async throws -> Result {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(try AppDatabase.open(stateDirectory: directory.path, name: "store", migrations: migrations))
    }

    /// The test database with a schema of its own (dropped afterwards), migrated and running for
    /// `body`: suites running side by side never see each other's rows.
    public static func withPostgres<Result: Sendable>(
        migrations: [SharedDatabase.Migration], _ body: (SharedDatabase, Logger) async throws -> Result
    ) async throws -> Result {
        guard let url = databaseURL else { throw PostgresStoreError(problem: "MLOPSD_TEST_DATABASE_URL is not set") }
        var logger = Logger(label: "store-contract")
        logger.logLevel = .error
        let schema = "test_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        var configuration = try SharedDatabase.configuration(url: url)
        configuration.options.additionalStartupParameters = [("search_path", schema)]
        let database = SharedDatabase(configuration: configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.run() }
            defer { group.cancelAll() }
            try await database.client.query("CREATE SCHEMA \(unescaped: schema)", logger: logger)
            do {
                try await database.migrate(migrations)
                let result = try await body(database, logger)
                try await database.client.query("DROP SCHEMA \(unescaped: schema) CASCADE", logger: logger)
                return result
            } catch {
                _ = try? await database.client.query("DROP SCHEMA \(unescaped: schema) CASCADE", logger: logger)
                throw error
            }
        }
    }

    /// A database of its own on the test server (the test role may create databases), dropped
    /// afterwards: its URL, for `mlopsd` processes started with MLOPSD_DATABASE_URL.
    public static func withFreshDatabase<Result: Sendable>(_ body: (String) async throws -> Result) async throws -> Result {
        guard let url = databaseURL, var components = URLComponents(string: url) else {
            throw PostgresStoreError(problem: "MLOPSD_TEST_DATABASE_URL is not set")
        }
        var logger = Logger(label: "fresh-database")
        logger.logLevel = .error
        let name = "live_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        components.path = "/\(name)"
        let server = try SharedDatabase(url: url, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await server.run() }
            defer { group.cancelAll() }
            try await server.client.query("CREATE DATABASE \(unescaped: name)", logger: logger)
            do {
                let result = try await body(components.string ?? url)
                try await server.client.query("DROP DATABASE \(unescaped: name) WITH (FORCE)", logger: logger)
                return result
            } catch {
                _ = try? await server.client.query("DROP DATABASE \(unescaped: name) WITH (FORCE)", logger: logger)
                throw error
            }
        }
    }
}
