import Foundation
import Kernel
import Logging
import PostgresNIO

/// `RefreshTokenStore` in PostgreSQL, shared by every auth replica: a token issued by one
/// rotates at another, and a rotation locks the token's row, so the same token presented to two
/// replicas at once rotates once and counts as reuse the second time.
public struct PostgresRefreshTokenStore: RefreshTokenStore {
    let database: SharedDatabase
    let logger: Logger

    public init(database: SharedDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public static let migrations: [SharedDatabase.Migration] = [
        .init(
            "refresh-tokens-v1",
            [
                """
                CREATE TABLE refresh_tokens (
                    jti TEXT PRIMARY KEY,
                    family TEXT NOT NULL,
                    username TEXT NOT NULL,
                    issued_at TIMESTAMPTZ NOT NULL,
                    expires_at TIMESTAMPTZ NOT NULL,
                    spent_at TIMESTAMPTZ,
                    revoked_at TIMESTAMPTZ
                )
                """,
                "CREATE INDEX refresh_tokens_family ON refresh_tokens (family)",
                "CREATE INDEX refresh_tokens_username ON refresh_tokens (username)",
            ])
    ]

    public func record(id: String, family: String, username: String, expiresAt: Date) async throws {
        let now = Date()
        try await database.transaction { connection in
            // Expired records serve no purpose once their token cannot verify any more.
            try await connection.query("DELETE FROM refresh_tokens WHERE expires_at < \(now)", logger: logger)
            try await connection.query(
                """
                INSERT INTO refresh_tokens (jti, family, username, issued_at, expires_at)
                VALUES (\(id), \(family), \(username), \(now), \(expiresAt))
                """,
                logger: logger
            )
        }
    }

    public func rotate(id: String, newID: String, expiresAt: Date) async throws -> RefreshRotation {
        let now = Date()
        return try await database.transaction { connection in
            let rows = try await connection.query(
                "SELECT family, username, spent_at IS NULL AND revoked_at IS NULL FROM refresh_tokens WHERE jti = \(id) FOR UPDATE",
                logger: logger
            )
            var found: (family: String, username: String, live: Bool)?
            for try await row in rows.decode((String, String, Bool).self) {
                found = row
            }
            guard let token = found else { return .unknown }
            guard token.live else {
                try await connection.query(
                    "UPDATE refresh_tokens SET revoked_at = COALESCE(revoked_at, \(now)) WHERE family = \(token.family)", logger: logger
                )
                return .reuseDetected
            }
            try await connection.query("UPDATE refresh_tokens SET spent_at = \(now) WHERE jti = \(id)", logger: logger)
            try await connection.query(
                """
                INSERT INTO refresh_tokens (jti, family, username, issued_at, expires_at)
                VALUES (\(newID), \(token.family), \(token.username), \(now), \(expiresAt))
                """,
                logger: logger
            )
            return .rotated
        }
    }

    public func revokeFamily(of id: String) async throws -> Bool {
        try await database.rowCount(
            """
            UPDATE refresh_tokens SET revoked_at = COALESCE(revoked_at, \(Date()))
            WHERE family = (SELECT family FROM refresh_tokens WHERE jti = \(id)) RETURNING 1
            """
        ) > 0
    }

    public func revokeAll(username: String) async throws {
        try await database.client.query(
            "UPDATE refresh_tokens SET revoked_at = COALESCE(revoked_at, \(Date())) WHERE username = \(username)",
            logger: logger
        )
    }
}
