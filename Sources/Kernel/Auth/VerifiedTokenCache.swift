import Foundation
import Synchronization

/// Tokens whose signature and claims were already checked, until they expire. A client sends the
/// same access token on every request; verifying it again (base64, two JSON documents, HMAC) was
/// a quarter of a prediction's cost. Only an identical token string hits, so nothing is trusted
/// that was not verified, and expiry is checked on every hit. Access tokens are stateless until
/// they expire either way, so caching them changes no revocation semantics.
final class VerifiedTokenCache: Sendable {
    private let entries = Mutex<[String: TokenClaims]>([:])
    private let capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    func claims(for token: String, now: Date) -> TokenClaims? {
        guard let claims = entries.withLock({ $0[token] }) else { return nil }
        guard claims.exp.value > now else {
            entries.withLock { _ = $0.removeValue(forKey: token) }
            return nil
        }
        return claims
    }

    func store(_ claims: TokenClaims, for token: String) {
        entries.withLock { entries in
            // Dropping everything at capacity keeps this simple; live clients re-verify once.
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[token] = claims
        }
    }
}
