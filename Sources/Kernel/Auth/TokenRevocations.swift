import Foundation
import Synchronization

/// What no longer counts among access tokens that have not expired: per account, an instant before
/// which its tokens were revoked (an account disabled, demoted or given a new password), and single
/// tokens signed out by their holder. Access tokens are verified locally by every role, so each
/// process keeps this board in memory, the guard consults it on every request, and the auth role's
/// ledger (`RevocationLedger`) reaches it in-process, through the shared database, or over HTTP
/// (`RevocationFollower`).
public final class TokenRevocations: Sendable {
    private struct Board {
        var cutoffs: [String: Date] = [:]
        /// Token id → when it was signed out.
        var tokens: [String: Date] = [:]
        /// Size at which `tokens` is next pruned.
        var pruneAt = 1024
    }

    /// No access token lives longer (`ACCESS_TOKEN_EXPIRE_MINUTES` is at most a day): a token
    /// signed out before that has expired anyway.
    public static let longestAccessLifetime: TimeInterval = 86_400
    private let board = Mutex(Board())

    public init() {}

    /// Tokens for `username` issued at or before the returned instant are revoked.
    public func cutoff(for username: String) -> Date? {
        // Every request of every role asks; almost always nothing is revoked, so no key is built.
        board.withLock { $0.cutoffs.isEmpty ? nil : $0.cutoffs[username.lowercased()] }
    }

    /// Whether the token with this `jti` was signed out.
    public func isRevoked(tokenID: String) -> Bool {
        board.withLock { $0.tokens.isEmpty ? false : $0.tokens[tokenID] != nil }
    }

    public func record(_ revocation: Revocation) {
        board.withLock { board in
            if let tokenID = revocation.tokenID {
                board.tokens[tokenID] = revocation.at
                // Bounded where no follower calls `forget` (one process on SQLite): pruned as it
                // doubles, so each sign-out costs amortised constant time.
                if board.tokens.count >= board.pruneAt {
                    let expired = revocation.at.addingTimeInterval(-Self.longestAccessLifetime)
                    board.tokens = board.tokens.filter { $0.value >= expired }
                    board.pruneAt = max(1024, board.tokens.count * 2)
                }
                return
            }
            let key = revocation.username.lowercased()
            if let known = board.cutoffs[key], known >= revocation.at { return }
            board.cutoffs[key] = revocation.at
        }
    }

    /// Drops what is older than any token still alive could be: the board stays as small as the
    /// revocations of one access-token lifetime.
    public func forget(before instant: Date) {
        board.withLock { board in
            board.cutoffs = board.cutoffs.filter { $0.value >= instant }
            board.tokens = board.tokens.filter { $0.value >= instant }
        }
    }
}

/// One revocation: the account's access tokens issued at or before `at` no longer count, or, with
/// a `tokenID`, only that token, signed out at `at`.
public struct Revocation: Sendable, Equatable, Codable {
    public var username: String
    public var at: Date
    public var tokenID: String?

    public init(username: String, at: Date, tokenID: String? = nil) {
        self.username = username
        self.at = at
        self.tokenID = tokenID
    }

    enum CodingKeys: String, CodingKey {
        case username
        case at = "revoked_at"
        case tokenID = "token_id"
    }

    // Seconds since 1970 whatever the encoder's date strategy: token `iat`s are compared with it
    // to the sub-second.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        username = try container.decode(String.self, forKey: .username)
        at = Date(timeIntervalSince1970: try container.decode(Double.self, forKey: .at))
        tokenID = try container.decodeIfPresent(String.self, forKey: .tokenID)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(username, forKey: .username)
        try container.encode(at.timeIntervalSince1970, forKey: .at)
        try container.encodeIfPresent(tokenID, forKey: .tokenID)
    }
}

/// Where the auth role keeps revocations so they outlive its process and reach other processes.
public protocol RevocationLedger: Sendable {
    func record(_ revocation: Revocation) async throws
    /// The latest revocation per account, and every signed-out token, recorded after `instant`.
    func revocations(since instant: Date) async throws -> [Revocation]
}
