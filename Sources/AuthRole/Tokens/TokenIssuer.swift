import Foundation
import Hummingbird
import Kernel

/// The body of a successful login or refresh (OAuth2 token response).
public struct TokenPair: Sendable {
    public var accessToken: String
    public var refreshToken: String
    public var tokenType: String
    public var expiresIn: Int
}

/// Issues access/refresh pairs, rotates refresh tokens and revokes families.
public struct TokenIssuer: Sendable {
    let codec: TokenCodec
    let refreshTokens: any RefreshTokenStore
    let users: any UserStore
    let revocations: any RevocationLedger
    let accessLifetime: Duration
    let refreshLifetime: Duration
    /// At most so many refreshes per account in a window (nil: no limit).
    var refreshLimit: RefreshLimit? = nil

    /// A pair for `user`, whose account was read at `since`: if the account was revoked after
    /// that (an admin disabling it while bcrypt ran), nothing is issued.
    public func issue(for user: User, accountReadAt since: Date) async throws -> TokenPair {
        let refreshID = UUID().uuidString.lowercased()
        return try await pair(for: user, refreshID: refreshID, unlessRevokedSince: since) { expiresAt in
            try await refreshTokens.record(id: refreshID, family: UUID().uuidString.lowercased(), username: user.username, expiresAt: expiresAt)
        }
    }

    /// Exchanges a live refresh token for a new pair. A spent token presented again revokes
    /// its whole family: either the client or a thief holds a copy, and we cannot tell which.
    public func refresh(_ token: String) async throws -> TokenPair {
        let claims = try await verifyRefresh(token)
        // Counted once the token is known to be genuine, so no one can spend another's allowance.
        if let refreshLimit, case .refused(let wait) = try await refreshLimit.reserve(username: claims.sub.value) {
            throw APIError(
                .tooManyRequests, code: "too_many_refreshes",
                message: "Too many token refreshes for this account; try again in \(wait) s", headers: [.retryAfter: String(wait)])
        }
        guard let stored = try await users.find(username: claims.sub.value), !stored.user.disabled else {
            _ = try await refreshTokens.revokeFamily(of: claims.jti.value)
            throw APIError.unauthorized("The account is disabled or no longer exists", code: "invalid_token")
        }
        let newID = UUID().uuidString.lowercased()
        return try await pair(for: stored.user, refreshID: newID, unlessRevokedSince: claims.iat.value) { expiresAt in
            switch try await refreshTokens.rotate(id: claims.jti.value, newID: newID, expiresAt: expiresAt) {
            case .rotated:
                return
            case .reuseDetected:
                throw APIError.unauthorized(
                    "Refresh token was already used; every session from that login has been revoked",
                    code: "invalid_token"
                )
            case .unknown:
                throw APIError.unauthorized("Refresh token is not recognised", code: "invalid_token")
            }
        }
    }

    /// Ends the session (token family) the refresh token belongs to.
    public func revoke(_ token: String) async throws {
        let claims = try await verifyRefresh(token)
        _ = try await refreshTokens.revokeFamily(of: claims.jti.value)
    }

    /// Signs out the access token `claims` came from: it stops counting here at once and, through
    /// the ledger, in every other process; the refresh tokens of its login are revoked with it.
    public func signOut(_ claims: TokenClaims) async throws {
        let revocation = Revocation(username: claims.sub.value, at: Date(), tokenID: claims.jti.value)
        try await revocations.record(revocation)
        codec.revocations.record(revocation)
        if let session = claims.session {
            _ = try await refreshTokens.revokeFamily(of: session)
        }
    }

    private func verifyRefresh(_ token: String) async throws -> TokenClaims {
        do {
            return try await codec.verify(token, expecting: .refresh)
        } catch {
            throw APIError.unauthorized(error.message, code: "invalid_token")
        }
    }

    /// Stores the refresh token, then checks the ledger: a revocation that committed between the
    /// account check and the store would otherwise miss this new session (its `revokeAll` ran
    /// before the token existed, and the access token is newer than the cutoff).
    private func pair(
        for user: User, refreshID: String, unlessRevokedSince since: Date, store: (Date) async throws -> Void
    ) async throws -> TokenPair {
        let now = Date()
        let access = TokenClaims(
            subject: user.username, role: user.role, type: .access, issuedAt: now, lifetime: accessLifetime,
            id: UUID().uuidString.lowercased(), session: refreshID
        )
        let refresh = TokenClaims(
            subject: user.username, role: user.role, type: .refresh, issuedAt: now, lifetime: refreshLifetime, id: refreshID
        )
        try await store(refresh.exp.value)
        let key = user.username.lowercased()
        let revokedSince = try await revocations.revocations(since: since).contains { $0.tokenID == nil && $0.username.lowercased() == key }
        if revokedSince || (codec.revocations.cutoff(for: key).map { $0 >= since } ?? false) {
            _ = try await refreshTokens.revokeFamily(of: refreshID)
            throw APIError.unauthorized("The account was changed while signing in; sign in again", code: "invalid_token")
        }
        return TokenPair(
            accessToken: try await codec.sign(access),
            refreshToken: try await codec.sign(refresh),
            tokenType: "bearer",
            expiresIn: Int(accessLifetime.components.seconds)
        )
    }
}
