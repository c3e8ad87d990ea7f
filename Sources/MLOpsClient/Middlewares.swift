import Foundation
import HTTPTypes
import MLOpsAPI
import OpenAPIRuntime

/// Answers outside 2xx become `ClientError.api` carrying the server's error envelope, before the
/// generated code decodes anything: every command reports a failure the same way.
struct ErrorEnvelopeMiddleware: ClientMiddleware {
    /// Error bodies are small; a larger one is not an envelope.
    static let maxBody = 1 << 20

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let (response, responseBody) = try await next(request, body, baseURL)
        guard response.status.kind != .successful else { return (response, responseBody) }
        var bytes = Data()
        if let responseBody { bytes = (try? await Data(collecting: responseBody, upTo: Self.maxBody)) ?? Data() }
        let envelope = try? JSONDecoder().decode(Components.Schemas.ErrorEnvelope.self, from: bytes).error
        throw ClientError.api(
            status: response.status.code,
            code: envelope?.code ?? "http_\(response.status.code)",
            message: envelope?.message ?? response.status.reasonPhrase,
            details: envelope?.details.map { ($0.field ?? "?", $0.problem ?? "") } ?? []
        )
    }
}

/// Connection failures as `ClientError.network`, naming the server.
struct NetworkErrorMiddleware: ClientMiddleware {
    let server: String

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        do {
            return try await next(request, body, baseURL)
        } catch {
            let cause = ClientError.innermost(error)
            if let own = cause as? ClientError { throw own }
            throw ClientError.network("cannot reach \(server): \(cause)")
        }
    }
}

extension ClientError {
    /// The error behind the generated client's wrappers: it wraps what a middleware or the
    /// transport throws once per layer.
    static func innermost(_ error: any Error) -> any Error {
        var error = error
        while let wrapped = error as? OpenAPIRuntime.ClientError { error = wrapped.underlyingError }
        return error
    }
}

struct UserAgentMiddleware: ClientMiddleware {
    let userAgent: String

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        var request = request
        request.headerFields[.userAgent] = userAgent
        return try await next(request, body, baseURL)
    }
}

/// The stored session's access token on every request: refreshed a little before it expires,
/// and once more when the server answers 401 anyway, then the request is sent again (when its
/// body can be sent twice; uploads read their file again).
struct SessionMiddleware: ClientMiddleware {
    let server: String
    let store: CredentialStore
    let anonymous: Client

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        guard var session = try store.session(for: server) else {
            throw ClientError.notLoggedIn("not logged in to \(server): run `mlopsd client login --url \(server)`")
        }
        // A few seconds of margin: the token must still be valid when the server reads it.
        if session.accessExpiresAt < Date().addingTimeInterval(10) { session = try await refreshed(session) }
        let (response, responseBody) = try await next(authorized(request, session), body, baseURL)
        guard response.status == .unauthorized, body?.iterationBehavior != .single else { return (response, responseBody) }
        session = try await refreshed(session)
        return try await next(authorized(request, session), body, baseURL)
    }

    private func authorized(_ request: HTTPRequest, _ session: CredentialStore.Session) -> HTTPRequest {
        var request = request
        request.headerFields[.authorization] = "Bearer \(session.accessToken)"
        return request
    }

    private func refreshed(_ session: CredentialStore.Session) async throws -> CredentialStore.Session {
        let tokens: Components.Schemas.TokenPair
        do {
            tokens = try await APIClient.unwrapping {
                try await anonymous.refresh(body: .json(.init(refreshToken: session.refreshToken))).ok.body.json
            }
        } catch ClientError.api(let status, _, _, _) where status != 429 {
            // A 429 (too many refreshes) leaves the session as it is: the caller may retry later.
            try? store.save(nil, for: server)
            throw ClientError.notLoggedIn("the session for \(server) has ended (\(status)): run `mlopsd client login --url \(server)`")
        }
        let renewed = CredentialStore.Session(tokens: tokens, username: session.username)
        try store.save(renewed, for: server)
        return renewed
    }
}
