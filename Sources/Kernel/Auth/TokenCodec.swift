import Foundation
import JWTKit

/// Why a presented token was refused. Messages are safe to show to the caller.
public enum TokenRejection: Error, Sendable, Equatable {
    case malformed
    case unsupportedAlgorithm
    case badSignature
    case expired
    case wrongType(expected: TokenType)
    case revoked
    case signedOut

    public var message: String {
        switch self {
        case .malformed: "Token is malformed"
        case .unsupportedAlgorithm: "Token algorithm is not accepted"
        case .badSignature: "Token signature or claims are invalid"
        case .expired: "Token has expired"
        case .wrongType(let expected): "A \(expected.rawValue) token is required"
        case .revoked: "Token was revoked: the account was disabled, changed role or changed password; sign in again"
        case .signedOut: "Token was signed out; sign in again"
        }
    }
}

/// Signs and verifies HS256 tokens with the shared secret. Every role holds one so tokens are
/// checked locally, with no call to the auth role per request.
public struct TokenCodec: Sendable {
    private let keys: JWTKeyCollection
    private let verified = VerifiedTokenCache()
    /// Accounts whose earlier access tokens no longer count, and tokens signed out; checked on
    /// every verification, cached or not.
    public let revocations = TokenRevocations()

    public init(secret: String) async {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        self.keys = keys
    }

    public func sign(_ claims: TokenClaims) async throws -> String {
        try await keys.sign(claims, header: ["typ": "JWT"])
    }

    /// Verifies signature, expiry, algorithm, token type and, for access tokens, revocation.
    public func verify(_ token: String, expecting type: TokenType) async throws(TokenRejection) -> TokenClaims {
        if let claims = verified.claims(for: token, now: Date()) {
            try check(claims, expecting: type)
            return claims
        }
        // jwt-kit picks the key by `kid`, not by `alg`; pin the algorithm ourselves so a
        // token announcing `none` or an asymmetric algorithm is refused before anything else.
        guard let header = Self.header(of: token) else { throw .malformed }
        guard header.alg == "HS256" else { throw .unsupportedAlgorithm }
        let claims: TokenClaims
        do {
            claims = try await keys.verify(token, as: TokenClaims.self)
        } catch let error as JWTError where error.errorType == .claimVerificationFailure {
            throw .expired
        } catch {
            throw .badSignature
        }
        verified.store(claims, for: token)
        try check(claims, expecting: type)
        return claims
    }

    private func check(_ claims: TokenClaims, expecting type: TokenType) throws(TokenRejection) {
        guard claims.type == type else { throw .wrongType(expected: type) }
        guard type == .access else { return }
        if let cutoff = revocations.cutoff(for: claims.sub.value), claims.iat.value <= cutoff { throw .revoked }
        if revocations.isRevoked(tokenID: claims.jti.value) { throw .signedOut }
    }

    private struct Header: Decodable {
        var alg: String
    }

    private static func header(of token: String) -> Header? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let data = base64URLDecode(parts[0]) else { return nil }
        return try? JSONDecoder().decode(Header.self, from: data)
    }

    private static func base64URLDecode(_ text: Substring) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64)
    }
}
