import Foundation
import GRDB
import Kernel

/// Whether a login attempt may go ahead.
public enum LoginReservation: Sendable, Equatable {
    /// The attempt is counted; it stays counted as a failure unless the login succeeds.
    case reserved
    /// The limit is reached: try again after this many seconds.
    case refused(retryAfter: Int)
}

/// Recent login attempts per throttling key, shared by every auth replica when the database is.
///
/// An attempt is counted *before* the password is checked, in the same atomic step as the limit
/// check, so parallel attempts cannot all slip through while bcrypt runs for the first of them.
public protocol LoginAttemptStore: Sendable {
    /// Counts an attempt for `key` unless `limit` attempts already happened after `now - window`.
    func reserve(key: String, limit: Int, window: TimeInterval, now: Date) async throws -> LoginReservation
    /// A login succeeded: the key's earlier attempts no longer count.
    func clear(key: String) async throws
    /// The attempt just reserved never happened (the server was too busy to check it): one of
    /// the key's attempts no longer counts.
    func withdraw(key: String) async throws
}

extension LoginAttemptStore {
    /// No window is longer (the lock-out and refresh windows are at most a day): rows older than
    /// this are dropped whichever key they count for. Each key's own expired rows are dropped by
    /// its window, never by another key's shorter one.
    static var longestWindow: TimeInterval { 86_400 }
}

extension LoginReservation {
    /// Seconds until the oldest counted attempt leaves the window, at least 1.
    static func refusal(oldest: Date, window: TimeInterval, now: Date) -> LoginReservation {
        let wait = oldest.addingTimeInterval(window).timeIntervalSince(now)
        return .refused(retryAfter: max(1, Int(wait.rounded(.up))))
    }
}

public struct SQLiteLoginAttemptStore: LoginAttemptStore {
    let database: AppDatabase

    public init(database: AppDatabase) {
        self.database = database
    }

    static func registerMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("login-attempts-v1") { db in
            try db.create(table: "login_attempts") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("key", .text).notNull()
                table.column("attempted_at", .double).notNull()
            }
            try db.create(index: "login_attempts_key", on: "login_attempts", columns: ["key", "attempted_at"])
        }
    }

    public func reserve(key: String, limit: Int, window: TimeInterval, now: Date) async throws -> LoginReservation {
        let cutoff = now.timeIntervalSince1970 - window
        // One write transaction: SQLite serialises writers, so check and count are one step.
        return try await database.pool.write { db in
            try db.execute(
                sql: "DELETE FROM login_attempts WHERE (key = ? AND attempted_at <= ?) OR attempted_at <= ?",
                arguments: [key, cutoff, now.timeIntervalSince1970 - Self.longestWindow])
            let row = try Row.fetchOne(
                db, sql: "SELECT COUNT(*) AS n, MIN(attempted_at) AS oldest FROM login_attempts WHERE key = ?", arguments: [key]
            )
            let count: Int = row?["n"] ?? 0
            if count >= limit, let oldest: Double = row?["oldest"] {
                return .refusal(oldest: Date(timeIntervalSince1970: oldest), window: window, now: now)
            }
            try db.execute(
                sql: "INSERT INTO login_attempts (key, attempted_at) VALUES (?, ?)", arguments: [key, now.timeIntervalSince1970]
            )
            return .reserved
        }
    }

    public func clear(key: String) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM login_attempts WHERE key = ?", arguments: [key])
        }
    }

    public func withdraw(key: String) async throws {
        try await database.pool.write { db in
            try db.execute(
                sql: "DELETE FROM login_attempts WHERE id = (SELECT max(id) FROM login_attempts WHERE key = ?)", arguments: [key]
            )
        }
    }
}
