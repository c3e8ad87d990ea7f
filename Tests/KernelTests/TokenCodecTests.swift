import Foundation
import MLOpsTesting
import Testing

@testable import Kernel

@Suite struct TokenCodecTests {
    @Test func roundTripsClaims() async throws {
        let env = try await TestEnvironment()
        defer { env.removeFiles() }
        let token = try await env.token(for: "alice", role: .user)
        let claims = try await env.kernel.tokens.verify(token, expecting: .access)
        #expect(claims.sub.value == "alice")
        #expect(claims.role == .user)
        #expect(!claims.jti.value.isEmpty)
    }

    @Test func rejectsExpiredTamperedAndForeignTokens() async throws {
        let env = try await TestEnvironment()
        defer { env.removeFiles() }
        let codec = env.kernel.tokens

        let expired = try await env.token(for: "alice", role: .user, issuedAt: Date().addingTimeInterval(-600), lifetime: .seconds(60))
        await #expect(throws: TokenRejection.expired) { try await codec.verify(expired, expecting: .access) }

        let good = try await env.token(for: "alice", role: .user)
        var parts = good.split(separator: ".").map(String.init)
        // Promote ourselves in the payload but keep the old signature.
        let forgedPayload = try JSONValue(jsonString: String(decoding: Self.base64URLDecode(parts[1]), as: UTF8.self))
        guard case .object(var fields) = forgedPayload else { Issue.record("payload is not an object"); return }
        fields["role"] = "admin"
        parts[1] = Self.base64URL(Data(JSONValue.object(fields).jsonString().utf8))
        await #expect(throws: TokenRejection.badSignature) { try await codec.verify(parts.joined(separator: "."), expecting: .access) }

        let other = await TokenCodec(secret: String(repeating: "x", count: 40))
        let foreign = try await other.sign(
            TokenClaims(subject: "alice", role: .admin, type: .access, issuedAt: Date(), lifetime: .seconds(60), id: "1")
        )
        await #expect(throws: TokenRejection.badSignature) { try await codec.verify(foreign, expecting: .access) }
    }

    @Test func rejectsAlgNone() async throws {
        let env = try await TestEnvironment()
        defer { env.removeFiles() }
        let header = Self.base64URL(Data(#"{"alg":"none","typ":"JWT"}"#.utf8))
        let exp = Int(Date().timeIntervalSince1970) + 600
        let payload = Self.base64URL(Data(#"{"sub":"mallory","role":"admin","type":"access","exp":\#(exp),"iat":0,"jti":"x"}"#.utf8))
        for token in ["\(header).\(payload).", "\(header).\(payload)"] {
            await #expect(throws: TokenRejection.self) { try await env.kernel.tokens.verify(token, expecting: .access) }
        }
    }

    /// A revocation refuses the account's access tokens issued until then, cached or not, and
    /// none issued after it; refresh tokens are the refresh store's business.
    @Test func revokedAccessTokensAreRefused() async throws {
        let env = try await TestEnvironment()
        defer { env.removeFiles() }
        let codec = env.kernel.tokens
        let before = try await env.token(for: "Alice", role: .admin, issuedAt: Date().addingTimeInterval(-10))
        _ = try await codec.verify(before, expecting: .access)
        codec.revocations.record(Revocation(username: "alice", at: Date().addingTimeInterval(-5)))
        await #expect(throws: TokenRejection.revoked) { try await codec.verify(before, expecting: .access) }
        let after = try await env.token(for: "alice", role: .admin)
        #expect(try await codec.verify(after, expecting: .access).sub.value == "alice")
        let other = try await env.token(for: "bob", role: .user, issuedAt: Date().addingTimeInterval(-10))
        #expect(try await codec.verify(other, expecting: .access).sub.value == "bob")
        let refresh = try await env.token(for: "alice", role: .admin, type: .refresh, issuedAt: Date().addingTimeInterval(-10))
        #expect(try await codec.verify(refresh, expecting: .refresh).type == .refresh)
        // Service tokens open the revocation feed only, never the API.
        let service = try await env.token(for: "mlopsd-service", role: .user, type: .service)
        await #expect(throws: TokenRejection.wrongType(expected: .access)) { try await codec.verify(service, expecting: .access) }
    }

    /// A signed-out token is refused, cached or not; the account's other tokens are not.
    @Test func signedOutAccessTokensAreRefused() async throws {
        let env = try await TestEnvironment()
        defer { env.removeFiles() }
        let codec = env.kernel.tokens
        let signedOut = try await env.token(for: "alice", role: .user)
        let other = try await env.token(for: "alice", role: .user)
        let claims = try await codec.verify(signedOut, expecting: .access)
        codec.revocations.record(Revocation(username: "alice", at: Date(), tokenID: claims.jti.value))
        await #expect(throws: TokenRejection.signedOut) { try await codec.verify(signedOut, expecting: .access) }
        #expect(try await codec.verify(other, expecting: .access).sub.value == "alice")
        // Forgotten once no token signed out then can still be alive.
        codec.revocations.forget(before: Date().addingTimeInterval(1))
        #expect(!codec.revocations.isRevoked(tokenID: claims.jti.value))
    }

    /// Where nothing calls `forget` (one process on SQLite follows no feed), sign-outs older than
    /// any access token are dropped as the board grows.
    @Test func signedOutTokensDoNotAccumulate() {
        let board = TokenRevocations()
        let expired = Date().addingTimeInterval(-2 * TokenRevocations.longestAccessLifetime)
        for index in 0..<1023 { board.record(Revocation(username: "u", at: expired, tokenID: "old-\(index)")) }
        #expect(board.isRevoked(tokenID: "old-0"))
        board.record(Revocation(username: "u", at: Date(), tokenID: "new"))
        #expect(!board.isRevoked(tokenID: "old-0"))
        #expect(board.isRevoked(tokenID: "new"))
    }

    @Test func enforcesTokenType() async throws {
        let env = try await TestEnvironment()
        defer { env.removeFiles() }
        let refresh = try await env.token(for: "alice", role: .user, type: .refresh)
        await #expect(throws: TokenRejection.wrongType(expected: .access)) {
            try await env.kernel.tokens.verify(refresh, expecting: .access)
        }
    }

    /// A verified token is remembered, but a hit still checks expiry and the expected type.
    @Test func rememberedTokensStillExpireAndKeepTheirType() async throws {
        let issued = Date()
        let claims = TokenClaims(subject: "alice", role: .user, type: .access, issuedAt: issued, lifetime: .seconds(60), id: "1")
        let cache = VerifiedTokenCache(capacity: 2)
        cache.store(claims, for: "token")
        #expect(cache.claims(for: "token", now: issued)?.jti.value == "1")
        #expect(cache.claims(for: "other", now: issued) == nil)
        #expect(cache.claims(for: "token", now: issued.addingTimeInterval(61)) == nil)
        #expect(cache.claims(for: "token", now: issued) == nil, "an expired entry is dropped")
        for name in ["a", "b", "c"] { cache.store(claims, for: name) }
        #expect(cache.claims(for: "a", now: issued) == nil, "full: the cache starts over")
        #expect(cache.claims(for: "c", now: issued)?.jti.value == "1")

        let env = try await TestEnvironment()
        defer { env.removeFiles() }
        let access = try await env.token(for: "alice", role: .user)
        _ = try await env.kernel.tokens.verify(access, expecting: .access)
        await #expect(throws: TokenRejection.wrongType(expected: .refresh)) {
            try await env.kernel.tokens.verify(access, expecting: .refresh)
        }
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func base64URLDecode(_ text: String) -> Data {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return Data(base64Encoded: base64) ?? Data()
    }
}
