import Foundation

/// Brute-force brake on password logins, per username *and* client address: after
/// `maxFailures` failed attempts within `window`, that address may not try that name again until
/// the oldest failure leaves the window. Keyed on both, so a stranger's failures cannot lock an
/// account's owner out; unknown usernames are throttled just the same, so the brake reveals
/// nothing about which names exist.
public struct LoginThrottle: Sendable {
    let attempts: any LoginAttemptStore
    let maxFailures: Int
    let window: Duration
    let now: @Sendable () -> Date

    public init(attempts: any LoginAttemptStore, maxFailures: Int, window: Duration, now: @escaping @Sendable () -> Date = { Date() }) {
        self.attempts = attempts
        self.maxFailures = maxFailures
        self.window = window
        self.now = now
    }

    /// Counts this attempt before the password is checked; `.refused` when the limit is reached.
    public func reserve(username: String, client: String) async throws -> LoginReservation {
        try await attempts.reserve(
            key: Self.key(username: username, client: client), limit: maxFailures,
            window: TimeInterval(window.components.seconds), now: now()
        )
    }

    /// The reserved attempt was not checked (bcrypt was saturated): it does not count.
    public func withdraw(username: String, client: String) async throws {
        try await attempts.withdraw(key: Self.key(username: username, client: client))
    }

    public func succeeded(username: String, client: String) async throws {
        try await attempts.clear(key: Self.key(username: username, client: client))
    }

    /// A fixed-size key that keeps neither the name nor the address in the clear.
    static func key(username: String, client: String) -> String {
        AttemptKey.digest(username.lowercased() + "\u{0}" + client)
    }
}
