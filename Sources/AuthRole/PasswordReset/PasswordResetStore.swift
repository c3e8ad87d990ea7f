import Foundation
import GRDB
import Kernel

/// Outstanding password-reset tokens, kept as SHA-256 digests: a copy of the table resets nothing.
/// A token is single-use and short-lived; using one withdraws the account's others, and an account
/// has at most `PasswordResetStore.outstandingLimit` at a time (the oldest give way).
public protocol PasswordResetStore: Sendable {
    func issue(digest: String, username: String, expiresAt: Date) async throws
    /// Spends the token if it is outstanding and not expired at `now`, withdrawing the account's
    /// other tokens with it: the account it resets.
    func consume(digest: String, now: Date) async throws -> String?
    /// Withdraws every token of the account (its password or its standing changed).
    func withdrawAll(username: String) async throws
}

extension PasswordResetStore {
    /// Tokens an account may have outstanding: a few, so requests made by someone else cannot
    /// withdraw the one its owner is about to use.
    public static var outstandingLimit: Int { 5 }
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
            try db.execute(sql: "DELETE FROM password_resets WHERE expires_at < ?", arguments: [Date()])
            try db.execute(
                sql: """
                    DELETE FROM password_resets WHERE digest IN (
                        SELECT digest FROM password_resets WHERE username = ? ORDER BY expires_at DESC LIMIT -1 OFFSET ?)
                    """,
                arguments: [username, Self.outstandingLimit - 1])
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
            guard expiresAt > now else { return nil }
            let username: String = row["username"]
            try db.execute(sql: "DELETE FROM password_resets WHERE username = ?", arguments: [username])
            return username
        }
    }

    public func withdrawAll(username: String) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM password_resets WHERE username = ?", arguments: [username])
        }
    }
}
