import AsyncHTTPClient
import Foundation
import HTTPTypes
import MLOpsAPI
import OpenAPIAsyncHTTPClient
import OpenAPIRuntime

/// The generated client for an mlopsd server (one process in `--role all`, or nginx in front of
/// the roles) with the stored session: the access token is refreshed before it expires, and once
/// more when the server answers 401 anyway (a token revoked or signed with a rotated secret).
/// Any answer outside 2xx becomes `ClientError.api` with the server's error envelope.
public struct APIClient: Sendable {
    public let server: String
    public let store: CredentialStore
    /// Every operation of the API, typed, as the spec defines it.
    let api: Client
    /// For the session's own calls (login, refresh, logout): no bearer token.
    let anonymous: Client

    /// A command line answers at once when the server is not there: no retried connection
    /// attempts (AsyncHTTPClient's default retries until the request's deadline).
    public static let commandLineHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(300))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(
        server: String, store: CredentialStore, userAgent: String, http: HTTPClient = APIClient.commandLineHTTPClient, timeout: Duration = .seconds(300)
    ) throws {
        var base = server
        while base.hasSuffix("/") { base.removeLast() }
        guard let url = URL(string: base), url.scheme == "http" || url.scheme == "https", url.host != nil else {
            throw ClientError.usage("\(server) is not an http(s) URL")
        }
        self.server = base
        self.store = store
        let transport = AsyncHTTPClientTransport(configuration: .init(client: http, timeout: .nanoseconds(Int64(timeout.nanoseconds))))
        // Outermost first: the envelope check sees the answer after any refresh-and-retry.
        let common: [any ClientMiddleware] = [NetworkErrorMiddleware(server: base), ErrorEnvelopeMiddleware(), UserAgentMiddleware(userAgent: userAgent)]
        anonymous = Client(serverURL: url, transport: transport, middlewares: common)
        api = Client(
            serverURL: url, transport: transport,
            middlewares: common + [SessionMiddleware(server: base, store: store, anonymous: anonymous)])
    }

    /// Runs operations of the generated client, handing on this client's own errors (the
    /// generated one wraps whatever a middleware throws).
    public func call<Result>(_ operations: (Client) async throws -> Result) async throws -> Result {
        try await Self.unwrapping { try await operations(api) }
    }

    static func unwrapping<Result>(_ operations: () async throws -> Result) async throws -> Result {
        do {
            return try await operations()
        } catch let error as OpenAPIRuntime.ClientError {
            let cause = ClientError.innermost(error)
            if let own = cause as? ClientError { throw own }
            throw ClientError.network("the server's answer does not follow the API (\(error.causeDescription): \(cause))")
        }
    }

    // MARK: Session

    public func login(username: String, password: String) async throws -> CredentialStore.Session {
        let tokens = try await Self.unwrapping {
            try await anonymous.login(body: .json(.init(password: password, username: username))).ok.body.json
        }
        let session = CredentialStore.Session(tokens: tokens, username: username)
        try store.save(session, for: server)
        return session
    }

    public func logout() async throws {
        guard let session = try store.session(for: server) else { return }
        // The server ends the login's sessions; the local copy goes whatever it answers.
        _ = try? await anonymous.logout(body: .json(.init(refreshToken: session.refreshToken)))
        try store.save(nil, for: server)
    }
}

extension CredentialStore.Session {
    init(tokens: Components.Schemas.TokenPair, username: String) {
        self.init(
            username: username, accessToken: tokens.accessToken, refreshToken: tokens.refreshToken,
            accessExpiresAt: Date().addingTimeInterval(Double(tokens.expiresIn)))
    }
}

extension Duration {
    var nanoseconds: Double {
        Double(components.seconds) * 1e9 + Double(components.attoseconds) / 1e9
    }
}
