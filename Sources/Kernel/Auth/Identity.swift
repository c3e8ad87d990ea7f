/// Account roles known to every service. Tokens carrying any other role are rejected.
public enum UserRole: String, Codable, Sendable, CaseIterable {
    case admin
    case user
}

/// The caller a verified access token names. Roles other than auth trust it without a database
/// lookup: the token is short-lived and signed with the shared secret.
public struct AuthenticatedUser: Sendable, Equatable {
    public var username: String
    public var role: UserRole
    public var tokenID: String

    public init(username: String, role: UserRole, tokenID: String) {
        self.username = username
        self.role = role
        self.tokenID = tokenID
    }
}
