import Foundation
import Synchronization

/// Per-account instants before which that account's access tokens stop counting: recorded when an
/// account is disabled, demoted or gets a new password. Access tokens are verified locally by
/// every role, so each process keeps this board in memory, the guard consults it on every request,
/// and the auth role's ledger (`RevocationLedger`) reaches it in-process, through the shared
/// database, or over HTTP (`RevocationFollower`).
public final class TokenRevocations: Sendable {
    private let cutoffs = Mutex<[String: Date]>([:])

    public init() {}

    /// Tokens for `username` issued at or before the returned instant are revoked.
    public func cutoff(for username: String) -> Date? {
        // Every request of every role asks; almost always nothing is revoked, so no key is built.
        cutoffs.withLock { $0.isEmpty ? nil : $0[username.lowercased()] }
    }

    public func record(_ username: String, at instant: Date) {
        cutoffs.withLock { cutoffs in
            let key = username.lowercased()
            if let known = cutoffs[key], known >= instant { return }
            cutoffs[key] = instant
        }
    }

    /// Drops cutoffs older than any token still alive could be: the board stays as small as the
    /// revocations of one access-token lifetime.
    public func forget(before instant: Date) {
        cutoffs.withLock { cutoffs in cutoffs = cutoffs.filter { $0.value >= instant } }
    }
}

/// One revocation: the account's tokens issued at or before `at` no longer count.
public struct Revocation: Sendable, Equatable, Codable {
    public var username: String
    public var at: Date

    public init(username: String, at: Date) {
        self.username = username
        self.at = at
    }

    enum CodingKeys: String, CodingKey {
        case username
        case at = "revoked_at"
    }

    // Seconds since 1970 whatever the encoder's date strategy: token `iat`s are compared with it
    // to the sub-second.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        username = try container.decode(String.self, forKey: .username)
        at = Date(timeIntervalSince1970: try container.decode(Double.self, forKey: .at))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(username, forKey: .username)
        try container.encode(at.timeIntervalSince1970, forKey: .at)
    }
}

/// Where the auth role keeps revocations so they outlive its process and reach other processes.
public protocol RevocationLedger: Sendable {
    func record(_ revocation: Revocation) async throws
    /// The latest revocation per account made after `instant`.
    func revocations(since instant: Date) async throws -> [Revocation]
}
