import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Keeps this process's `TokenRevocations` up to date with revocations made by an auth role in
/// another process: from the shared database's ledger, or from the auth role's revocation feed
/// over HTTP. Polls every two seconds, so a disabled account's tokens stop working everywhere
/// within about that long.
public struct RevocationFollower: Service {
    public enum Source: Sendable {
        case ledger(any RevocationLedger, migrate: (@Sendable () async throws -> Void)?)
        /// The auth role's base URL (`MLOPSD_AUTH_URL`).
        case authRole(URL)
    }

    let source: Source
    let codec: TokenCodec
    /// No access token lives longer: older revocations are moot.
    let horizon: Duration
    let interval: Duration
    let logger: Logger

    public init(source: Source, codec: TokenCodec, horizon: Duration, interval: Duration = .seconds(2), logger: Logger) {
        self.source = source
        self.codec = codec
        self.horizon = horizon
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        if case .ledger(_, let migrate?) = source {
            try await migrate()
        }
        do {
            try await cancelWhenGracefulShutdown { try await self.poll() }
        } catch is CancellationError {
            // Shutting down.
        }
    }

    private func poll() async throws {
        var failing = false
        var newest: Date?
        while true {
            do {
                newest = try await refresh(after: newest)
                if failing { logger.notice("revocation feed reachable again") }
                failing = false
            } catch {
                // Once per outage, not every two seconds.
                if !failing {
                    logger.warning("revocation feed unreachable; revoked tokens may be accepted until it is back", metadata: ["error": "\(error)"])
                }
                failing = true
            }
            try await Task.sleep(for: interval)
        }
    }

    /// Applies what was recorded since the last poll (whose newest entry was `newest`), and
    /// returns the newest entry now. The first poll reads a whole token lifetime; later ones only
    /// what is new, less `overlap`: an entry is stamped before its transaction commits, so one
    /// can appear after a poll that already saw a newer one.
    func refresh(after newest: Date?) async throws -> Date? {
        let horizon = Date().addingTimeInterval(-TimeInterval(self.horizon.components.seconds))
        let since = max(horizon, newest.map { $0.addingTimeInterval(-Self.overlap) } ?? horizon)
        var latest = newest
        for revocation in try await fetch(since: since) {
            codec.revocations.record(revocation)
            latest = max(latest ?? revocation.at, revocation.at)
        }
        codec.revocations.forget(before: horizon)
        return latest
    }

    static let overlap: TimeInterval = 30

    private func fetch(since: Date) async throws -> [Revocation] {
        switch source {
        case .ledger(let ledger, _):
            return try await ledger.revocations(since: since)
        case .authRole(let base):
            let token = try await codec.sign(
                TokenClaims(
                    subject: "mlopsd-service", role: .user, type: .service, issuedAt: Date(), lifetime: .seconds(60), id: UUID().uuidString
                ))
            let url = base.appendingPathComponent("api/v1/auth/revocations")
            guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else { throw URLError(.badURL) }
            components.queryItems = [URLQueryItem(name: "since", value: String(since.timeIntervalSince1970))]
            guard let target = components.url else { throw URLError(.badURL) }
            var request = URLRequest(url: target, timeoutInterval: 5)
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
            let (data, response) = try await URLSession.shared.data(for: request)
            guard let http = response as? HTTPURLResponse, http.statusCode == 200 else {
                throw RevocationFeedError(status: (response as? HTTPURLResponse)?.statusCode ?? 0)
            }
            return try JSONDecoder().decode(RevocationFeed.self, from: data).revocations
        }
    }
}

struct RevocationFeedError: Error, CustomStringConvertible {
    let status: Int
    var description: String { "the auth role answered \(status)" }
}

/// `GET /api/v1/auth/revocations` as the auth role answers it and other roles read it.
public struct RevocationFeed: Codable, Sendable {
    public var revocations: [Revocation]

    public init(revocations: [Revocation]) {
        self.revocations = revocations
    }
}
