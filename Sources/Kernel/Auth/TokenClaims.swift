import Foundation
import JWTKit

public enum TokenType: String, Codable, Sendable {
    case access
    case refresh
    /// Minted by a role for a call to another role (the revocation feed); never accepted by the
    /// API's guards, which expect `access`.
    case service
}

/// The JWT payload shared by every role: `sub, role, type, exp, iat, jti` and, on access tokens, `sid` (docs/api.md).
public struct TokenClaims: JWTPayload, Sendable {
    public var sub: SubjectClaim
    public var role: UserRole
    public var type: TokenType
    public var exp: ExpirationClaim
    public var iat: IssuedAtClaim
    public var jti: IDClaim
    /// The id of the refresh token issued with this one (`sid`): its family is the login this
    /// token belongs to, so signing out with only an access token can end the whole session.
    public var session: String?

    public init(subject: String, role: UserRole, type: TokenType, issuedAt: Date, lifetime: Duration, id: String, session: String? = nil) {
        self.sub = SubjectClaim(value: subject)
        self.role = role
        self.type = type
        self.iat = IssuedAtClaim(value: issuedAt)
        self.exp = ExpirationClaim(value: issuedAt.addingTimeInterval(TimeInterval(lifetime.components.seconds)))
        self.jti = IDClaim(value: id)
        self.session = session
    }

    enum CodingKeys: String, CodingKey {
        case sub, role, type, exp, iat, jti
        case session = "sid"
    }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
    }
}
