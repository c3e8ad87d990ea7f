import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdAuth
import OpenAPIHummingbird
import OpenAPIRuntime

/// Where a role's generated server (`registerHandlers(on:)`) puts its operations: each on the route
/// group of its guard, under the role's prefix, behind the scope that checks its query against the
/// document and lends the handler its request context. The spec's paths are absolute
/// (`/api/v1/auth/users`); the groups are already under the prefix, so it is taken off.
public struct OperationRouter: ServerTransport {
    let document: OpenAPIDocument
    let prefix: String
    let groups: [String: RouterGroup<AppRequestContext>]
    let open: RouterGroup<AppRequestContext>

    /// `guarded` maps paths relative to the prefix (`/users/{username}`) to the group whose
    /// middleware guards them; any other path goes to `open`.
    public init(
        document: OpenAPIDocument, prefix: String, open: RouterGroup<AppRequestContext>, guarded: [String: RouterGroup<AppRequestContext>] = [:]
    ) {
        self.document = document
        self.prefix = prefix
        self.open = open
        self.groups = guarded
    }

    /// How generated servers encode answers: compact JSON, keys sorted, dates as ISO 8601.
    public static let configuration = Configuration(jsonEncodingOptions: [.sortedKeys])

    public func register(
        _ handler: @escaping @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?),
        method: HTTPRequest.Method,
        path: String
    ) throws {
        guard path.hasPrefix(prefix) else { throw OperationOutsidePrefix(path: path, prefix: prefix) }
        let relative = String(path.dropFirst(prefix.count))
        let scope = OperationScopeMiddleware(
            query: QueryParameterRules(document: document, method: method.rawValue, path: path),
            enumerations: RequestBodyEnumerations(document: document, method: method.rawValue, path: path),
            nulls: RequestBodyNulls(document: document, method: method.rawValue, path: path))
        // The transport hands every request a body, empty or not; an optional request body is
        // only absent to the generated code when it is nil.
        let withoutEmptyBody: @Sendable (HTTPRequest, HTTPBody?, ServerRequestMetadata) async throws -> (HTTPResponse, HTTPBody?) = {
            request, body, metadata in
            try await handler(request, Self.carriesBody(request) ? body : nil, metadata)
        }
        (groups[relative] ?? open).group().add(middleware: scope).register(
            withoutEmptyBody, method: method, path: relative.isEmpty ? "/" : relative)
    }

    static func carriesBody(_ request: HTTPRequest) -> Bool {
        let declaredLength = request.headerFields[.contentLength].flatMap { Int($0) }
        return declaredLength.map { $0 > 0 } ?? (request.headerFields[.transferEncoding] != nil)
    }
}

struct OperationOutsidePrefix: Error, CustomStringConvertible {
    let path: String
    let prefix: String
    var description: String { "operation \(path) is not under \(prefix)" }
}

/// What a generated handler may know of its request beyond its typed input: who is calling,
/// from where, and the logger and trace of the request. Bound for the duration of the handler.
public struct OperationScope: Sendable {
    public let context: AppRequestContext
    public let clientAddress: String
    /// The bearer token of an operation whose security makes it optional (no guard read it).
    public let bearerToken: String?

    @TaskLocal static var current: OperationScope?

    /// The scope of the operation running now; a programming error outside one.
    public static var active: OperationScope {
        get throws {
            guard let current else { throw APIError(.internalServerError, code: "internal_error", message: "no request in scope") }
            return current
        }
    }

    public func requireUser() throws -> AuthenticatedUser { try context.requireUser() }
}

/// Checks the query, binds `OperationScope`, and does what the kernel's own decoding does before a
/// handler reads a body: a body needs a Content-Type (415) and fits the body limit (413), collected
/// here so the generated decoder never reads past it.
struct OperationScopeMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let query: QueryParameterRules
    let enumerations: RequestBodyEnumerations
    let nulls: RequestBodyNulls

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try query.check(request)
        var request = request
        if OperationRouter.carriesBody(request.head) {
            guard request.headers[.contentType] != nil else {
                throw APIError(.unsupportedMediaType, code: "unsupported_media_type", message: "A request body needs a Content-Type")
            }
            let buffer = try await RequestDecoding.collectBody(request, context: context)
            if RequestDecoding.containsNUL(buffer, contentType: request.headers[.contentType]) {
                throw APIError.validation(field: "body", problem: "contains a NUL character, which no field accepts")
            }
            try nulls.check(buffer, contentType: request.headers[.contentType])
            request.body = .init(buffer: buffer)
        }
        let scope = OperationScope(
            context: context, clientAddress: context.clientAddress(of: request), bearerToken: request.headers.bearer?.token)
        do {
            var response = try await OperationScope.$current.withValue(scope) { try await next(request, context) }
            // The generated code writes every header value percent-encoded; a Location is a URI
            // reference and goes out as one.
            if let location = response.headers[.location], let plain = location.removingPercentEncoding {
                response.headers[.location] = plain
            }
            return response
        } catch let error as ServerError {
            throw enumerations.refusal(for: error) ?? error
        }
    }
}
