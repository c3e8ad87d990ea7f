import Foundation
import GRDB
import Kernel

/// Accounts. Usernames are unique without regard to case.
public protocol UserStore: Sendable {
    /// Throws `UserStoreError.duplicateUsername` when the name is taken.
    func create(username: String, fullName: String?, email: String, role: UserRole, passwordHash: String) async throws -> User
    /// Creates the account only if no account has that name; true when it was created.
    func createIfAbsent(username: String, email: String, role: UserRole, passwordHash: String) async throws -> Bool
    func find(username: String) async throws -> StoredUser?
    /// Every account with this email address, compared without regard to case.
    func find(email: String) async throws -> [StoredUser]
    func list(limit: Int, offset: Int) async throws -> UserPage
    func update(username: String, changes: UserChanges) async throws -> User?
}

extension UserStore {
    public func create(username: String, email: String, role: UserRole, passwordHash: String) async throws -> User {
        try await create(username: username, fullName: nil, email: email, role: role, passwordHash: passwordHash)
    }
}

public struct SQLiteUserStore: UserStore {
    let database: AppDatabase

    public init(database: AppDatabase) {
        self.database = database
    }

    static func registerMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("users-v1") { db in
            try db.create(table: "users") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("username", .text).notNull().unique().collate(.nocase)
                table.column("email", .text).notNull()
                table.column("role", .text).notNull()
                table.column("password_hash", .text).notNull()
                table.column("disabled", .boolean).notNull().defaults(to: false)
                table.column("created_at", .datetime).notNull()
                table.column("updated_at", .datetime).notNull()
            }
        }
        migrator.registerMigration("users-v2-full-name") { db in
            try db.alter(table: "users") { table in table.add(column: "full_name", .text) }
        }
    }

    public func create(username: String, fullName: String?, email: String, role: UserRole, passwordHash: String) async throws -> User {
        let now = Date()
        do {
            try await database.pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO users (username, full_name, email, role, password_hash, disabled, created_at, updated_at)
                        VALUES (?, ?, ?, ?, ?, 0, ?, ?)
                        """,
                    arguments: [username, fullName, email, role.rawValue, passwordHash, now, now]
                )
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
            throw UserStoreError.duplicateUsername
        }
        guard let created = try await find(username: username) else { throw UserStoreError.duplicateUsername }
        return created.user
    }

    public func createIfAbsent(username: String, email: String, role: UserRole, passwordHash: String) async throws -> Bool {
        let now = Date()
        return try await database.pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO users (username, email, role, password_hash, disabled, created_at, updated_at)
                    VALUES (?, ?, ?, ?, 0, ?, ?) ON CONFLICT(username) DO NOTHING
                    """,
                arguments: [username, email, role.rawValue, passwordHash, now, now]
            )
            return db.changesCount == 1
        }
    }

    public func find(username: String) async throws -> StoredUser? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM users WHERE username = ?", arguments: [username]).map {
                StoredUser(user: Self.user(from: $0), passwordHash: $0["password_hash"])
            }
        }
    }

    public func find(email: String) async throws -> [StoredUser] {
        try await database.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM users WHERE lower(email) = lower(?) ORDER BY id", arguments: [email]).map {
                StoredUser(user: Self.user(from: $0), passwordHash: $0["password_hash"])
            }
        }
    }

    public func list(limit: Int, offset: Int) async throws -> UserPage {
        try await database.pool.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM users") ?? 0
            let users = try Row.fetchAll(db, sql: "SELECT * FROM users ORDER BY id LIMIT ? OFFSET ?", arguments: [limit, offset])
                .map(Self.user(from:))
            return UserPage(users: users, total: total, limit: limit, offset: offset)
        }
    }

    public func update(username: String, changes: UserChanges) async throws -> User? {
        try await database.pool.write { db in
            try db.execute(
                sql: """
                    UPDATE users SET email = COALESCE(?, email), full_name = COALESCE(?, full_name), role = COALESCE(?, role),
                        disabled = COALESCE(?, disabled), password_hash = COALESCE(?, password_hash), updated_at = ?
                    WHERE username = ?
                    """,
                arguments: [changes.email, changes.fullName, changes.role?.rawValue, changes.disabled, changes.passwordHash, Date(), username]
            )
            return try Row.fetchOne(db, sql: "SELECT * FROM users WHERE username = ?", arguments: [username]).map(Self.user(from:))
        }
    }

    private static func user(from row: Row) -> User {
        User(
            id: row["id"],
            username: row["username"],
            fullName: row["full_name"],
            email: row["email"],
            role: UserRole(rawValue: row["role"]) ?? .user,
            disabled: row["disabled"],
            createdAt: row["created_at"],
            updatedAt: row["updated_at"]
        )
    }
}
