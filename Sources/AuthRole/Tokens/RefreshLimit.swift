import Foundation

/// How often one account may refresh its tokens: a client refreshing in a loop (or a stolen
/// refresh token being spent as fast as it rotates) gets a 429 with `Retry-After` instead of a
/// stream of new tokens. Counted in the login-attempt store, so every auth replica sees the same
/// count when the database is shared.
struct RefreshLimit: Sendable {
    let attempts: any LoginAttemptStore
    let maxPerWindow: Int
    let window: Duration
    var now: @Sendable () -> Date = { Date() }

    func reserve(username: String) async throws -> LoginReservation {
        try await attempts.reserve(key: Self.key(username), limit: maxPerWindow, window: TimeInterval(window.components.seconds), now: now())
    }

    /// Apart from the login keys (which hash a name with an address), and not the name in the clear.
    static func key(_ username: String) -> String {
        AttemptKey.digest("refresh\u{0}" + username.lowercased())
    }
}
