import Foundation
import Kernel
import Logging
import PostgresNIO

/// `PasswordResetStore` in the shared database: a token issued by one auth replica resets the
/// password at any other, once.
public struct PostgresPasswordResetStore: PasswordResetStore {
    let database: SharedDatabase
    let logger: Logger

    public init(database: SharedDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public static let migrations: [SharedDatabase.Migration] = [
        .init(
            "password-resets-v1",
            [
                "CREATE TABLE password_resets (digest TEXT PRIMARY KEY, username TEXT NOT NULL, expires_at TIMESTAMPTZ NOT NULL)",
                "CREATE INDEX password_resets_username ON password_resets (lower(username))",
            ])
    ]

    public func issue(digest: String, username: String, expiresAt: Date) async throws {
        let logger = logger
        let keep = Self.outstandingLimit - 1
        try await database.transaction { connection in
            try await connection.query("DELETE FROM password_resets WHERE expires_at < \(Date())", logger: logger)
            try await connection.query(
                """
                DELETE FROM password_resets WHERE digest IN (
                    SELECT digest FROM password_resets WHERE lower(username) = lower(\(username)) ORDER BY expires_at DESC OFFSET \(keep))
                """,
                logger: logger)
            try await connection.query(
                "INSERT INTO password_resets (digest, username, expires_at) VALUES (\(digest), \(username), \(expiresAt))", logger: logger)
        }
    }

    public func consume(digest: String, now: Date) async throws -> String? {
        let logger = logger
        return try await database.transaction { connection in
            let rows = try await connection.query(
                "DELETE FROM password_resets WHERE digest = \(digest) RETURNING username, expires_at", logger: logger)
            var spent: (username: String, expiresAt: Date)?
            for try await (username, expiresAt) in rows.decode((String, Date).self) { spent = (username, expiresAt) }
            guard let spent, spent.expiresAt > now else { return nil }
            try await connection.query("DELETE FROM password_resets WHERE lower(username) = lower(\(spent.username))", logger: logger)
            return spent.username
        }
    }

    public func withdrawAll(username: String) async throws {
        try await database.client.query("DELETE FROM password_resets WHERE lower(username) = lower(\(username))", logger: logger)
    }
}
