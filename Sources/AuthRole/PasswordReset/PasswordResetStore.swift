import Foundation
import GRDB
import Kernel

/// Outstanding password-reset tokens, kept as SHA-256 digests: a copy of the table resets nothing.
/// A token is single-use and short-lived, and issuing one for an account withdraws the account's
/// earlier ones.
public protocol PasswordResetStore: Sendable {
    func issue(digest: String, username: String, expiresAt: Date) async throws
    /// Spends the token if it is outstanding and not expired at `now`: the account it resets.
    func consume(digest: String, now: Date) async throws -> String?
}

public struct SQLitePasswordResetStore: PasswordResetStore {
    let database: AppDatabase

    public init(database: AppDatabase) {
        self.database = database
    }

    static func registerMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("password-resets-v1") { db in
            try db.create(table: "password_resets") { table in
                table.primaryKey("digest", .text)
                table.column("username", .text).notNull().indexed().collate(.nocase)
                table.column("expires_at", .datetime).notNull()
            }
        }
    }

    public func issue(digest: String, username: String, expiresAt: Date) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM password_resets WHERE username = ? OR expires_at < ?", arguments: [username, Date()])
            try db.execute(
                sql: "INSERT INTO password_resets (digest, username, expires_at) VALUES (?, ?, ?)", arguments: [digest, username, expiresAt])
        }
    }

    public func consume(digest: String, now: Date) async throws -> String? {
        try await database.pool.write { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "DELETE FROM password_resets WHERE digest = ? RETURNING username, expires_at", arguments: [digest])
            else { return nil }
            let expiresAt: Date = row["expires_at"]
            return expiresAt > now ? row["username"] : nil
        }
    }
}
