import Foundation
import GRDB

/// A role's SQLite database: one file per role under `MLOPSD_STATE_DIR`, WAL journal, a busy
/// timeout so concurrent writers wait instead of failing, and versioned migrations run at open.
public struct AppDatabase: Sendable {
    public let pool: DatabasePool
    public let path: String

    /// How far a commit goes before it returns. WAL's default, `normal`, may lose the last
    /// commits on a power cut (never corrupt the file); `full` syncs every commit, for stores
    /// where a lost commit matters: a rotated or revoked refresh token coming back, a catalog row
    /// forgotten while its files stay.
    public enum Durability: String, Sendable {
        case normal = "NORMAL"
        case full = "FULL"
    }

    /// Opens (creating when needed) `<stateDirectory>/<name>.sqlite` and migrates it.
    public static func open(
        stateDirectory: String,
        name: String,
        durability: Durability = .normal,
        migrations: (inout DatabaseMigrator) -> Void
    ) throws -> AppDatabase {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        let path = URL(fileURLWithPath: stateDirectory).appendingPathComponent("\(name).sqlite").path
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.foreignKeysEnabled = true
        let pool = try DatabasePool(path: path, configuration: configuration)
        // Set on the writer once the pool exists: GRDB sets NORMAL on it while enabling WAL,
        // after any `prepareDatabase` ran, so a setting made there never reached a commit.
        try pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous = \(durability.rawValue)")
        }
        var migrator = DatabaseMigrator()
        migrations(&migrator)
        // Replicas sharing a file (predict replicas on one volume) start together: each would
        // find a migration unapplied and the second would fail creating its tables.
        try MigrationLock.holding(path + ".migration-lock") { try migrator.migrate(pool) }
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
