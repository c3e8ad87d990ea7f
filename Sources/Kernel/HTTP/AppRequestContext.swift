import Hummingbird
import HummingbirdAuth
import NIOCore
import Synchronization

/// What outer middleware (the access log) must learn from inner layers (the auth guard).
/// Contexts are values copied down the chain, so this one piece is shared by reference.
public final class RequestTrace: Sendable {
    private let state = Mutex<String?>(nil)

    public init() {}

    public var user: String? {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }
}

/// The request context every role's routes receive.
public struct AppRequestContext: AuthRequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: AuthenticatedUser?
    /// Set by `RequestIDMiddleware` from `X-Request-ID` or generated.
    public var requestID: String
    /// Body size limit applied when a handler collects or decodes the body.
    public var bodyLimit: Int
    public let trace: RequestTrace
    /// The peer of the connection: the client itself, or the proxy in front of us.
    public let remoteAddress: SocketAddress?

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.identity = nil
        self.requestID = ""
        self.bodyLimit = 1 << 20
        self.trace = RequestTrace()
    }

    public var maxUploadSize: Int { bodyLimit }

    /// The authenticated caller; only reachable behind an auth guard, so a missing identity is a 401.
    public func requireUser() throws -> AuthenticatedUser {
        guard let identity else { throw APIError.unauthorized("Not authenticated") }
        return identity
    }
}
