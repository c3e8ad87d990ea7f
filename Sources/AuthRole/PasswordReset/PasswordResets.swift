import Crypto
import Foundation
import Kernel
import Logging

/// `POST /forgot-password` and `POST /reset-password`: single-use, short-lived tokens that set a
/// new password without the old one. A request names an account by username or email and is
/// answered the same whether or not one exists; the token goes to the account's owner through the
/// configured delivery (and, in debug mode, back in the answer).
struct PasswordResets: Sendable {
    let store: any PasswordResetStore
    let users: any UserStore
    let attempts: any LoginAttemptStore
    let lifetime: Duration
    let deliveries: ResetDeliveryQueue
    /// Debug mode: the token is returned to whoever asked, for development and test suites.
    let revealsToken: Bool

    /// Requests per username or email address within `requestWindow`, whether it exists or not.
    static let requestsPerWindow = 5
    static let requestWindow: TimeInterval = 900

    struct Issued {
        /// Set in debug mode when exactly one account was named.
        var token: String?
    }

    func request(username: String?, email: String?) async throws -> Issued {
        let identifier = (username ?? email ?? "").lowercased()
        let reservation = try await attempts.reserve(
            key: Self.key(identifier), limit: Self.requestsPerWindow, window: Self.requestWindow, now: Date())
        if case .refused(let wait) = reservation {
            throw APIError(
                .tooManyRequests, code: "too_many_reset_requests",
                message: "Too many password reset requests for this account; try again in \(wait) s", headers: [.retryAfter: String(wait)])
        }
        var accounts: [User] = []
        if let username, let stored = try await users.find(username: username) { accounts.append(stored.user) }
        if username == nil, let email { accounts = try await users.find(email: email).map(\.user) }
        var tokens: [String] = []
        for account in accounts where !account.disabled {
            let token = Self.newToken()
            let expiresAt = Date().addingTimeInterval(TimeInterval(lifetime.components.seconds))
            try await store.issue(digest: Self.digest(token), username: account.username, expiresAt: expiresAt)
            deliveries.enqueue(.init(username: account.username, email: account.email, resetToken: token, expiresAt: expiresAt))
            tokens.append(token)
        }
        return Issued(token: revealsToken && tokens.count == 1 ? tokens.first : nil)
    }

    /// Spends `token`: the account whose password it may set, or nil when it is unknown, spent,
    /// expired, or its account is gone or disabled.
    func redeem(_ token: String) async throws -> User? {
        guard token.utf8.count <= 200, let username = try await store.consume(digest: Self.digest(token), now: Date()) else { return nil }
        guard let stored = try await users.find(username: username), !stored.user.disabled else { return nil }
        return stored.user
    }

    /// 256 random bits, base64url without padding.
    static func newToken() -> String {
        let key = SymmetricKey(size: .bits256)
        let bytes = key.withUnsafeBytes { Data($0) }
        return bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func digest(_ token: String) -> String {
        SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// Apart from the login and refresh keys, and not the identifier in the clear.
    static func key(_ identifier: String) -> String {
        digest("reset\u{0}" + identifier)
    }
}
