import Foundation
import GRDB
import Kernel

/// The outcome of presenting a refresh token for rotation.
public enum RefreshRotation: Sendable, Equatable {
    /// The token was live; it is now spent and `newID` belongs to the same family.
    case rotated
    /// The token was already spent or revoked: its whole family has now been revoked.
    case reuseDetected
    /// No record of the token (e.g. issued by another deployment).
    case unknown
}

/// Server-side state of refresh tokens, grouped in families (one login = one family), so that
/// rotation can detect a stolen token being replayed.
public protocol RefreshTokenStore: Sendable {
    func record(id: String, family: String, username: String, expiresAt: Date) async throws
    /// Atomically spends `id` and records its successor `newID` in the same family.
    func rotate(id: String, newID: String, expiresAt: Date) async throws -> RefreshRotation
    /// Revokes the family `id` belongs to; false when the token is unknown.
    func revokeFamily(of id: String) async throws -> Bool
    func revokeAll(username: String) async throws
}

public struct SQLiteRefreshTokenStore: RefreshTokenStore {
    let database: AppDatabase

    public init(database: AppDatabase) {
        self.database = database
    }

    static func registerMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("refresh-tokens-v1") { db in
            try db.create(table: "refresh_tokens") { table in
                table.primaryKey("jti", .text)
                table.column("family", .text).notNull().indexed()
                table.column("username", .text).notNull().indexed()
                table.column("issued_at", .datetime).notNull()
                table.column("expires_at", .datetime).notNull()
                table.column("spent_at", .datetime)
                table.column("revoked_at", .datetime)
            }
        }
    }

    public func record(id: String, family: String, username: String, expiresAt: Date) async throws {
        try await database.pool.write { db in
            // Expired records serve no purpose once their token cannot verify any more.
            try db.execute(sql: "DELETE FROM refresh_tokens WHERE expires_at < ?", arguments: [Date()])
            try db.execute(
                sql: "INSERT INTO refresh_tokens (jti, family, username, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [id, family, username, Date(), expiresAt]
            )
        }
    }

    public func rotate(id: String, newID: String, expiresAt: Date) async throws -> RefreshRotation {
        try await database.pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM refresh_tokens WHERE jti = ?", arguments: [id]) else {
                return .unknown
            }
            let family: String = row["family"]
            let isLive = (row["spent_at"] as Date?) == nil && (row["revoked_at"] as Date?) == nil
            guard isLive else {
                try db.execute(
                    sql: "UPDATE refresh_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE family = ?",
                    arguments: [Date(), family]
                )
                return .reuseDetected
            }
            try db.execute(sql: "UPDATE refresh_tokens SET spent_at = ? WHERE jti = ?", arguments: [Date(), id])
            try db.execute(
                sql: "INSERT INTO refresh_tokens (jti, family, username, issued_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [newID, family, row["username"] as String, Date(), expiresAt]
            )
            return .rotated
        }
    }

    public func revokeFamily(of id: String) async throws -> Bool {
        try await database.pool.write { db in
            guard let family = try String.fetchOne(db, sql: "SELECT family FROM refresh_tokens WHERE jti = ?", arguments: [id]) else {
                return false
            }
            try db.execute(
                sql: "UPDATE refresh_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE family = ?",
                arguments: [Date(), family]
            )
            return true
        }
    }

    public func revokeAll(username: String) async throws {
        try await database.pool.write { db in
            try db.execute(
                sql: "UPDATE refresh_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE username = ?",
                arguments: [Date(), username]
            )
        }
    }
}
