import Crypto
import Foundation
import Kernel
import Logging

/// `POST /forgot-password` and `POST /reset-password`: single-use, short-lived tokens that set a
/// new password without the old one. A request names an account by username or email and is
/// answered the same, and as fast, whether or not one exists: outside debug mode the accounts are
/// looked up and their tokens issued and delivered after the answer (`ResetDeliveryQueue`).
struct PasswordResets: Sendable {
    let issuer: ResetTokenIssuer
    let deliveries: ResetDeliveryQueue
    let attempts: any LoginAttemptStore
    /// Debug mode: the token is returned to whoever asked, for development and test suites.
    let revealsToken: Bool

    var lifetime: Duration { issuer.lifetime }

    /// Requests per name from one address, and per name from all addresses, within `window`: a
    /// stranger can use up neither the owner's allowance nor, with tokens outstanding side by side,
    /// the token the owner already has.
    static let requestsPerClient = 5
    static let requestsPerName = 20
    static let window: TimeInterval = 900

    /// Set in debug mode when exactly one account was named.
    struct Issued {
        var token: String?
    }

    func request(_ request: ResetRequest, client: String) async throws -> Issued {
        let name = request.identifier.lowercased()
        for (key, limit) in [(Self.key(name + "\u{0}" + client), Self.requestsPerClient), (Self.key(name), Self.requestsPerName)] {
            if case .refused(let wait) = try await attempts.reserve(key: key, limit: limit, window: Self.window, now: Date()) {
                throw APIError(
                    .tooManyRequests, code: "too_many_reset_requests",
                    message: "Too many password reset requests for this account; try again in \(wait) s", headers: [.retryAfter: String(wait)])
            }
        }
        guard revealsToken else {
            deliveries.enqueue(request)
            return Issued(token: nil)
        }
        let notices = try await issuer.issue(request)
        for notice in notices { await deliveries.delivery.deliver(notice, logger: deliveries.logger) }
        return Issued(token: notices.count == 1 ? notices.first?.resetToken : nil)
    }

    /// Spends `token`: the account whose password it may set, or nil when it is unknown, spent,
    /// expired, or its account is gone or disabled.
    func redeem(_ token: String) async throws -> User? {
        guard token.utf8.count <= 200, let username = try await issuer.store.consume(digest: Self.digest(token), now: Date()) else {
            return nil
        }
        guard let stored = try await issuer.users.find(username: username), !stored.user.disabled else { return nil }
        return stored.user
    }

    static func digest(_ token: String) -> String {
        AttemptKey.digest(token)
    }

    /// Apart from the login and refresh keys, and not the name in the clear.
    static func key(_ text: String) -> String {
        digest("reset\u{0}" + text)
    }
}

/// An account named by username or, without one, by email address.
struct ResetRequest: Sendable {
    var username: String?
    var email: String?

    var identifier: String { username ?? email ?? "" }
}

/// Issues the tokens a request earns: one per enabled account it names.
struct ResetTokenIssuer: Sendable {
    let store: any PasswordResetStore
    let users: any UserStore
    let lifetime: Duration

    func issue(_ request: ResetRequest) async throws -> [ResetDelivery.Notice] {
        var accounts: [User] = []
        if let username = request.username {
            if let stored = try await users.find(username: username) { accounts = [stored.user] }
        } else if let email = request.email {
            accounts = try await users.find(email: email).map(\.user)
        }
        var notices: [ResetDelivery.Notice] = []
        for account in accounts where !account.disabled {
            let token = Self.newToken()
            let expiresAt = Date().addingTimeInterval(TimeInterval(lifetime.components.seconds))
            try await store.issue(digest: PasswordResets.digest(token), username: account.username, expiresAt: expiresAt)
            notices.append(.init(username: account.username, email: account.email, resetToken: token, expiresAt: expiresAt))
        }
        return notices
    }

    /// 256 random bits, base64url without padding.
    static func newToken() -> String {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        return bytes.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
