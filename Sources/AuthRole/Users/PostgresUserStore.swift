import Foundation
import Kernel
import Logging
import PostgresNIO

/// `UserStore` in PostgreSQL, shared by every auth replica. Usernames are unique without regard
/// to case, as in SQLite (a unique index on `lower(username)`).
public struct PostgresUserStore: UserStore {
    let database: SharedDatabase
    let logger: Logger

    public init(database: SharedDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public static let migrations: [SharedDatabase.Migration] = [
        .init(
            "users-v1",
            [
                """
                CREATE TABLE users (
                    id BIGSERIAL PRIMARY KEY,
                    username TEXT NOT NULL,
                    email TEXT NOT NULL,
                    role TEXT NOT NULL,
                    password_hash TEXT NOT NULL,
                    disabled BOOLEAN NOT NULL DEFAULT false,
                    created_at TIMESTAMPTZ NOT NULL,
                    updated_at TIMESTAMPTZ NOT NULL
                )
                """,
                "CREATE UNIQUE INDEX users_username ON users (lower(username))",
            ]),
        .init("users-v2-full-name", ["ALTER TABLE users ADD COLUMN full_name TEXT"]),
    ]

    typealias UserRow = (Int64, String, String?, String, String, Bool, Date, Date, String)
    static let columns = "id, username, full_name, email, role, disabled, created_at, updated_at, password_hash"

    func users(_ query: PostgresQuery) async throws -> [StoredUser] {
        var users: [StoredUser] = []
        for try await row in try await database.client.query(query, logger: logger).decode(UserRow.self) {
            let user = User(
                id: row.0, username: row.1, fullName: row.2, email: row.3, role: UserRole(rawValue: row.4) ?? .user, disabled: row.5, createdAt: row.6,
                updatedAt: row.7)
            users.append(StoredUser(user: user, passwordHash: row.8))
        }
        return users
    }

    func insert(username: String, fullName: String?, email: String, role: UserRole, passwordHash: String) async throws -> StoredUser? {
        let now = Date()
        return try await users(
            """
            INSERT INTO users (username, full_name, email, role, password_hash, disabled, created_at, updated_at)
            VALUES (\(username), \(fullName), \(email), \(role.rawValue), \(passwordHash), false, \(now), \(now))
            ON CONFLICT ((lower(username))) DO NOTHING
            RETURNING \(unescaped: Self.columns)
            """
        ).first
    }

    public func create(username: String, fullName: String?, email: String, role: UserRole, passwordHash: String) async throws -> User {
        guard let created = try await insert(username: username, fullName: fullName, email: email, role: role, passwordHash: passwordHash) else {
            throw UserStoreError.duplicateUsername
        }
        return created.user
    }

    public func createIfAbsent(username: String, email: String, role: UserRole, passwordHash: String) async throws -> Bool {
        try await insert(username: username, fullName: nil, email: email, role: role, passwordHash: passwordHash) != nil
    }

    public func find(username: String) async throws -> StoredUser? {
        try await users("SELECT \(unescaped: Self.columns) FROM users WHERE lower(username) = lower(\(username))").first
    }

    public func find(email: String) async throws -> [StoredUser] {
        try await users("SELECT \(unescaped: Self.columns) FROM users WHERE lower(email) = lower(\(email)) ORDER BY id")
    }

    public func list(limit: Int, offset: Int) async throws -> UserPage {
        let total = try await database.integer("SELECT COUNT(*) FROM users")
        let page = try await users("SELECT \(unescaped: Self.columns) FROM users ORDER BY id LIMIT \(limit) OFFSET \(offset)")
        return UserPage(users: page.map(\.user), total: total, limit: limit, offset: offset)
    }

    public func update(username: String, changes: UserChanges) async throws -> User? {
        try await users(
            """
            UPDATE users SET email = COALESCE(\(changes.email), email), full_name = COALESCE(\(changes.fullName), full_name),
                role = COALESCE(\(changes.role?.rawValue), role),
                disabled = COALESCE(\(changes.disabled), disabled), password_hash = COALESCE(\(changes.passwordHash), password_hash),
                updated_at = \(Date())
            WHERE lower(username) = lower(\(username))
            RETURNING \(unescaped: Self.columns)
            """
        ).first?.user
    }
}
