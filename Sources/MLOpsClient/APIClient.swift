import AsyncHTTPClient
import Foundation
import Kernel
import NIOCore
import NIOHTTP1

/// Requests to an mlopsd server (one process in `--role all`, or nginx in front of the roles) with
/// the stored session: the access token is refreshed before it expires, and once more when the
/// server answers 401 anyway (a token revoked or signed with a rotated secret).
public struct APIClient: Sendable {
    public struct Reply: Sendable {
        public var status: Int
        public var headers: HTTPHeaders
        public var body: ByteBuffer

        public var json: JSONValue {
            get throws {
                guard body.readableBytes > 0 else { return .null }
                do {
                    return try JSONParser.parse(body)
                } catch {
                    throw ClientError.network("the server answered \(status) with a body that is not JSON (\(error))")
                }
            }
        }

        /// Seconds the server asked to wait before polling again (`Retry-After`).
        public var retryAfter: Double? { headers.first(name: "Retry-After").flatMap(Double.init) }
    }

    /// A request body that can be produced again, for the retry after a refresh.
    public enum Body: Sendable {
        case json(JSONValue)
        case bytes(ByteBuffer, contentType: String)
        case file(URL, contentType: String)
    }

    public let server: String
    public let store: CredentialStore
    let http: HTTPClient
    let timeout: TimeAmount

    /// A command line answers at once when the server is not there: no retried connection
    /// attempts (AsyncHTTPClient's default retries until the request's deadline).
    public static let commandLineHTTPClient: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(10), read: .seconds(300))
        configuration.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    public init(server: String, store: CredentialStore, http: HTTPClient = APIClient.commandLineHTTPClient, timeout: Duration = .seconds(300)) {
        var base = server
        while base.hasSuffix("/") { base.removeLast() }
        self.server = base
        self.store = store
        self.http = http
        self.timeout = TimeAmount(timeout)
    }

    // MARK: Session

    public func login(username: String, password: String) async throws -> CredentialStore.Session {
        let reply = try await send(
            .POST, "/api/v1/auth/login", body: .json(["username": .string(username), "password": .string(password)]), authenticated: false)
        let session = try Self.session(from: reply.json, username: username)
        try store.save(session, for: server)
        return session
    }

    public func logout() async throws {
        guard let session = try store.session(for: server) else { return }
        // The server ends the login's sessions; the local copy goes whatever it answers.
        _ = try? await send(.POST, "/api/v1/auth/logout", body: .json(["refresh_token": .string(session.refreshToken)]), authenticated: false)
        try store.save(nil, for: server)
    }

    private func currentSession() throws -> CredentialStore.Session {
        guard let session = try store.session(for: server) else {
            throw ClientError.notLoggedIn("not logged in to \(server): run `mlopsd client login --url \(server)`")
        }
        return session
    }

    private func refreshed(_ session: CredentialStore.Session) async throws -> CredentialStore.Session {
        let reply = try await perform(.POST, "/api/v1/auth/refresh", body: .json(["refresh_token": .string(session.refreshToken)]), token: nil)
        guard reply.status == 200 else {
            try? store.save(nil, for: server)
            throw ClientError.notLoggedIn("the session for \(server) has ended (\(reply.status)): run `mlopsd client login --url \(server)`")
        }
        let renewed = try Self.session(from: reply.json, username: session.username)
        try store.save(renewed, for: server)
        return renewed
    }

    private static func session(from body: JSONValue, username: String) throws -> CredentialStore.Session {
        guard let access = body["access_token"]?.stringValue, let refresh = body["refresh_token"]?.stringValue else {
            throw ClientError.network("the login answer carried no tokens")
        }
        let lifetime = body["expires_in"]?.intValue ?? 0
        return CredentialStore.Session(
            username: username, accessToken: access, refreshToken: refresh, accessExpiresAt: Date().addingTimeInterval(Double(lifetime))
        )
    }

    // MARK: Requests

    /// Sends a request; any status outside 2xx becomes `ClientError.api` with the server's message.
    @discardableResult
    public func send(_ method: HTTPMethod, _ path: String, body: Body? = nil, authenticated: Bool = true) async throws -> Reply {
        var reply: Reply
        if authenticated {
            var session = try currentSession()
            // A few seconds of margin: the token must still be valid when the server reads it.
            if session.accessExpiresAt < Date().addingTimeInterval(10) { session = try await refreshed(session) }
            reply = try await perform(method, path, body: body, token: session.accessToken)
            if reply.status == 401 {
                session = try await refreshed(session)
                reply = try await perform(method, path, body: body, token: session.accessToken)
            }
        } else {
            reply = try await perform(method, path, body: body, token: nil)
        }
        guard (200..<300).contains(reply.status) else { throw Self.apiError(reply) }
        return reply
    }

    static func apiError(_ reply: Reply) -> ClientError {
        let envelope = (try? reply.json)?["error"]
        let details: [(field: String, problem: String)]
        if case .array(let items)? = envelope?["details"] {
            details = items.compactMap { item in
                guard let field = item["field"]?.stringValue, let problem = item["problem"]?.stringValue else { return nil }
                return (field, problem)
            }
        } else {
            details = []
        }
        return .api(
            status: reply.status, code: envelope?["code"]?.stringValue ?? "http_\(reply.status)",
            message: envelope?["message"]?.stringValue ?? HTTPResponseStatus(statusCode: reply.status).reasonPhrase, details: details
        )
    }

    private func perform(_ method: HTTPMethod, _ path: String, body: Body?, token: String?) async throws -> Reply {
        var request = HTTPClientRequest(url: server + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "mlopsd-client/\(MLOpsVersion.current)")
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        switch body {
        case nil:
            break
        case .json(let document):
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: document.jsonString()))
        case .bytes(let bytes, let contentType):
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(bytes)
        case .file(let url, let contentType):
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = try Self.stream(url)
        }
        do {
            let response = try await http.execute(request, timeout: timeout)
            let collected = try await response.body.collect(upTo: 256 * 1024 * 1024)
            return Reply(status: Int(response.status.code), headers: response.headers, body: collected)
        } catch let error as HTTPClientError {
            throw ClientError.network("cannot reach \(server): \(error)")
        } catch let error as ClientError {
            throw error
        } catch {
            throw ClientError.network("cannot reach \(server): \(error)")
        }
    }

    /// The file in 256 KiB chunks with its length up front: an upload never sits whole in memory.
    private static func stream(_ url: URL) throws -> HTTPClientRequest.Body {
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw ClientError.usage("cannot read \(url.path): \(error.localizedDescription)")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        let chunks = AsyncStream<ByteBuffer>(
            unfolding: {
                guard let data = try? handle.read(upToCount: 256 * 1024), !data.isEmpty else {
                    try? handle.close()
                    return nil
                }
                return ByteBuffer(bytes: data)
            }, onCancel: { try? handle.close() })
        return .stream(chunks, length: .known(Int64(size)))
    }
}
