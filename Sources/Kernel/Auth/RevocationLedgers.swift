import Foundation
import GRDB
import Logging
import PostgresNIO

/// How long a signed-out token is remembered: longer than any access token lives, so the table
/// holds a day or two of sign-outs.
let signedOutTokenRetention: TimeInterval = 2 * TokenRevocations.longestAccessLifetime

/// `RevocationLedger` in the auth role's SQLite file.
public struct SQLiteRevocationLedger: RevocationLedger {
    let database: AppDatabase

    public init(database: AppDatabase) {
        self.database = database
    }

    public static func registerMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("token-revocations-v1") { db in
            try db.create(table: "token_revocations") { table in
                table.primaryKey("username", .text).collate(.nocase)
                table.column("revoked_at", .double).notNull()
            }
        }
        migrator.registerMigration("signed-out-tokens-v1") { db in
            try db.create(table: "signed_out_tokens") { table in
                table.primaryKey("token_id", .text)
                table.column("username", .text).notNull()
                table.column("revoked_at", .double).notNull().indexed()
            }
        }
    }

    public func record(_ revocation: Revocation) async throws {
        try await database.pool.write { db in
            if let tokenID = revocation.tokenID {
                try db.execute(
                    sql: "DELETE FROM signed_out_tokens WHERE revoked_at < ?",
                    arguments: [revocation.at.timeIntervalSince1970 - signedOutTokenRetention]
                )
                try db.execute(
                    sql: "INSERT OR IGNORE INTO signed_out_tokens (token_id, username, revoked_at) VALUES (?, ?, ?)",
                    arguments: [tokenID, revocation.username, revocation.at.timeIntervalSince1970]
                )
                return
            }
            try db.execute(
                sql: """
                    INSERT INTO token_revocations (username, revoked_at) VALUES (?, ?)
                    ON CONFLICT(username) DO UPDATE SET revoked_at = max(revoked_at, excluded.revoked_at)
                    """,
                arguments: [revocation.username.lowercased(), revocation.at.timeIntervalSince1970]
            )
        }
    }

    public func revocations(since instant: Date) async throws -> [Revocation] {
        try await database.pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT username, revoked_at, NULL AS token_id FROM token_revocations WHERE revoked_at > ?
                    UNION ALL SELECT username, revoked_at, token_id FROM signed_out_tokens WHERE revoked_at > ?
                    """,
                arguments: [instant.timeIntervalSince1970, instant.timeIntervalSince1970]
            ).map { Revocation(username: $0["username"], at: Date(timeIntervalSince1970: $0["revoked_at"]), tokenID: $0["token_id"]) }
        }
    }
}

/// `RevocationLedger` in the shared database: every replica of every role follows it.
public struct PostgresRevocationLedger: RevocationLedger {
    let database: SharedDatabase
    let logger: Logger

    public init(database: SharedDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public static let migrations: [SharedDatabase.Migration] = [
        .init(
            "token-revocations-v1",
            [
                "CREATE TABLE token_revocations (username TEXT PRIMARY KEY, revoked_at TIMESTAMPTZ NOT NULL)",
                "CREATE INDEX token_revocations_time ON token_revocations (revoked_at)",
            ]),
        .init(
            "signed-out-tokens-v1",
            [
                "CREATE TABLE signed_out_tokens (token_id TEXT PRIMARY KEY, username TEXT NOT NULL, revoked_at TIMESTAMPTZ NOT NULL)",
                "CREATE INDEX signed_out_tokens_time ON signed_out_tokens (revoked_at)",
            ]),
    ]

    public func record(_ revocation: Revocation) async throws {
        if let tokenID = revocation.tokenID {
            let expired = revocation.at.addingTimeInterval(-signedOutTokenRetention)
            try await database.client.query("DELETE FROM signed_out_tokens WHERE revoked_at < \(expired)", logger: logger)
            try await database.client.query(
                """
                INSERT INTO signed_out_tokens (token_id, username, revoked_at) VALUES (\(tokenID), \(revocation.username), \(revocation.at))
                ON CONFLICT (token_id) DO NOTHING
                """,
                logger: logger
            )
            return
        }
        try await database.client.query(
            """
            INSERT INTO token_revocations (username, revoked_at) VALUES (\(revocation.username.lowercased()), \(revocation.at))
            ON CONFLICT (username) DO UPDATE SET revoked_at = GREATEST(token_revocations.revoked_at, excluded.revoked_at)
            """,
            logger: logger
        )
    }

    public func revocations(since instant: Date) async throws -> [Revocation] {
        var found: [Revocation] = []
        let rows = try await database.client.query(
            """
            SELECT username, revoked_at, NULL::TEXT FROM token_revocations WHERE revoked_at > \(instant)
            UNION ALL SELECT username, revoked_at, token_id FROM signed_out_tokens WHERE revoked_at > \(instant)
            """,
            logger: logger
        )
        for try await (username, at, tokenID) in rows.decode((String, Date, String?).self) {
            found.append(Revocation(username: username, at: at, tokenID: tokenID))
        }
        return found
    }
}
