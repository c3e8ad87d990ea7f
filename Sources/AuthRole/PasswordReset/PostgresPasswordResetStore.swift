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
        try await database.transaction { connection in
            try await connection.query(
                "DELETE FROM password_resets WHERE lower(username) = lower(\(username)) OR expires_at < \(Date())", logger: logger)
            try await connection.query(
                "INSERT INTO password_resets (digest, username, expires_at) VALUES (\(digest), \(username), \(expiresAt))", logger: logger)
        }
    }

    public func consume(digest: String, now: Date) async throws -> String? {
        let rows = try await database.client.query(
            "DELETE FROM password_resets WHERE digest = \(digest) RETURNING username, expires_at", logger: logger)
        for try await (username, expiresAt) in rows.decode((String, Date).self) {
            return expiresAt > now ? username : nil
        }
        return nil
    }
}
