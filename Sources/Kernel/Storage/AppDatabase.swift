import Foundation
import GRDB

/// A role's SQLite database: one file per role under `MLOPSD_STATE_DIR`, WAL journal, a busy
/// timeout so concurrent writers wait instead of failing, and versioned migrations run at open.
public struct AppDatabase: Sendable {
    public let pool: DatabasePool
    public let path: String

    /// Opens (creating when needed) `<stateDirectory>/<name>.sqlite` and migrates it.
    public static func open(
        stateDirectory: String,
        name: String,
        migrations: (inout DatabaseMigrator) -> Void
    ) throws -> AppDatabase {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        let path = URL(fileURLWithPath: stateDirectory).appendingPathComponent("\(name).sqlite").path
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.foreignKeysEnabled = true
        let pool = try DatabasePool(path: path, configuration: configuration)
        var migrator = DatabaseMigrator()
        migrations(&migrator)
        try migrator.migrate(pool)
        return AppDatabase(pool: pool, path: path)
    }

    /// Readiness probe: the file is reachable and answers a query.
    public func isReachable() async -> Bool {
        do {
            return try await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") == 1 }
        } catch {
            return false
        }
    }
}
