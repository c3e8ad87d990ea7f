import Foundation
import GRDB
import Logging
import PostgresNIO

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
    }

    public func record(_ revocation: Revocation) async throws {
        try await database.pool.write { db in
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
                db, sql: "SELECT username, revoked_at FROM token_revocations WHERE revoked_at > ?", arguments: [instant.timeIntervalSince1970]
            ).map { Revocation(username: $0["username"], at: Date(timeIntervalSince1970: $0["revoked_at"])) }
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
            ])
    ]

    public func record(_ revocation: Revocation) async throws {
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
            "SELECT username, revoked_at FROM token_revocations WHERE revoked_at > \(instant)", logger: logger
        )
        for try await (username, at) in rows.decode((String, Date).self) {
            found.append(Revocation(username: username, at: at))
        }
        return found
    }
}
