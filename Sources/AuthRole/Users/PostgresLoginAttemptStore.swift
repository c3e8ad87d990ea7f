import Foundation
import Kernel
import Logging
import PostgresNIO

/// `LoginAttemptStore` in PostgreSQL: the limit holds across auth replicas. A transaction-scoped
/// advisory lock on the key makes check-and-count atomic even before the key has any row to lock.
public struct PostgresLoginAttemptStore: LoginAttemptStore {
    let database: SharedDatabase
    let logger: Logger

    public init(database: SharedDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public static let migrations: [SharedDatabase.Migration] = [
        .init(
            "login-attempts-v1",
            [
                """
                CREATE TABLE login_attempts (
                    id BIGSERIAL PRIMARY KEY,
                    key TEXT NOT NULL,
                    attempted_at TIMESTAMPTZ NOT NULL
                )
                """,
                "CREATE INDEX login_attempts_key ON login_attempts (key, attempted_at)",
                "CREATE INDEX login_attempts_time ON login_attempts (attempted_at)",
            ])
    ]

    public func reserve(key: String, limit: Int, window: TimeInterval, now: Date) async throws -> LoginReservation {
        let cutoff = now.addingTimeInterval(-window)
        return try await database.transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\("login:" + key), 0))", logger: logger)
            let expired = now.addingTimeInterval(-Self.longestWindow)
            try await connection.query(
                "DELETE FROM login_attempts WHERE (key = \(key) AND attempted_at <= \(cutoff)) OR attempted_at <= \(expired)", logger: logger)
            let rows = try await connection.query(
                "SELECT COUNT(*)::BIGINT, MIN(attempted_at) FROM login_attempts WHERE key = \(key)", logger: logger
            )
            var count = 0
            var oldest: Date?
            for try await (n, first) in rows.decode((Int, Date?).self) {
                (count, oldest) = (n, first)
            }
            if count >= limit, let oldest {
                return .refusal(oldest: oldest, window: window, now: now)
            }
            try await connection.query("INSERT INTO login_attempts (key, attempted_at) VALUES (\(key), \(now))", logger: logger)
            return .reserved
        }
    }

    public func clear(key: String) async throws {
        try await database.client.query("DELETE FROM login_attempts WHERE key = \(key)", logger: logger)
    }

    public func withdraw(key: String) async throws {
        try await database.client.query(
            "DELETE FROM login_attempts WHERE id = (SELECT max(id) FROM login_attempts WHERE key = \(key))", logger: logger
        )
    }
}
