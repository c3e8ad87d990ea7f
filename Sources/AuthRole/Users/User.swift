import Foundation
import Hummingbird
import Kernel

/// An account as the API shows it (never with its password hash).
public struct User: Sendable, Equatable {
    /// The store's number for the account (renumbered by `db migrate-to-postgres`; the username
    /// is what identifies an account everywhere else).
    public var id: Int64
    public var username: String
    public var fullName: String?
    public var email: String
    public var role: UserRole
    public var disabled: Bool
    public var createdAt: Date
    public var updatedAt: Date
}

/// A stored account with its bcrypt hash, for the login path only.
public struct StoredUser: Sendable {
    public var user: User
    public var passwordHash: String
}

/// What an admin may change about an account.
public struct UserChanges: Sendable {
    public var email: String?
    public var fullName: String?
    public var role: UserRole?
    public var disabled: Bool?
    public var passwordHash: String?

    public init(email: String? = nil, fullName: String? = nil, role: UserRole? = nil, disabled: Bool? = nil, passwordHash: String? = nil) {
        self.email = email
        self.fullName = fullName
        self.role = role
        self.disabled = disabled
        self.passwordHash = passwordHash
    }
}

public struct UserPage: Sendable {
    public var users: [User]
    public var total: Int
    public var limit: Int
    public var offset: Int
}

public enum UserStoreError: Error, Equatable {
    case duplicateUsername
}
