import Foundation
import Hummingbird
import Logging
import OpenAPIRuntime

/// Turns every error thrown below it into the JSON error envelope, so clients never see
/// Hummingbird's plain-text errors or an unexplained 500.
public struct ErrorEnvelopeMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let catalog: RouteCatalog

    public init(catalog: RouteCatalog) {
        self.catalog = catalog
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return try envelope(for: error, request: request, context: context).response(from: request, context: context)
        }
    }

    func envelope(for error: any Error, request: Request, context: Context) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let refusal as JobRunner.Refusal:
            return APIError(refusal)
        case let error as HTTPError where error.status == .notFound:
            return notFound(request)
        case let error as any HTTPResponseError:
            return APIError(
                error.status,
                code: Self.code(for: error.status),
                message: (error as? HTTPError)?.body ?? error.status.reasonPhrase
            )
        case let error as DecodingError:
            return RequestDecoding.apiError(for: error)
        case let error as ServerError:
            return envelope(for: error, request: request, context: context)
        default:
            context.logger.error("unhandled error", metadata: ["error": "\(String(reflecting: error))"])
            return APIError(.internalServerError, code: "internal_error", message: "Internal server error")
        }
    }

    /// A generated handler's failure: what the handler threw, or what the generated code refused
    /// before calling it (a missing parameter, a content type the operation does not take).
    private func envelope(for error: ServerError, request: Request, context: Context) -> APIError {
        switch error.underlyingError {
        case is APIError, is DecodingError, is JobRunner.Refusal, is ServerError:
            return envelope(for: error.underlyingError, request: request, context: context)
        default:
            guard (400..<500).contains(error.httpStatus.code) else {
                context.logger.error(
                    "unhandled error", metadata: ["operation": "\(error.operationID)", "error": "\(String(reflecting: error.underlyingError))"])
                return APIError(.internalServerError, code: "internal_error", message: "Internal server error")
            }
            return APIError(error.httpStatus, code: Self.code(for: error.httpStatus), message: error.causeDescription)
        }
    }

    /// A known path with the wrong method is a 405 with `Allow`, not a 404.
    private func notFound(_ request: Request) -> APIError {
        let allowed = catalog.allowedMethods(for: request.uri.path)
        guard !allowed.isEmpty else {
            return APIError(.notFound, code: "not_found", message: "No route for \(request.method.rawValue) \(request.uri.path)")
        }
        return APIError(
            .methodNotAllowed,
            code: "method_not_allowed",
            message: "\(request.method.rawValue) is not allowed on \(request.uri.path); use \(allowed.joined(separator: ", "))",
            headers: [.allow: allowed.joined(separator: ", ")]
        )
    }

    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: "bad_request"
        case 401: "not_authenticated"
        case 403: "forbidden"
        case 404: "not_found"
        case 405: "method_not_allowed"
        case 409: "conflict"
        case 413: "payload_too_large"
        case 415: "unsupported_media_type"
        case 422: "validation_failed"
        case 429: "rate_limited"
        case 503: "unavailable"
        default: status.code >= 500 ? "internal_error" : "http_\(status.code)"
        }
    }
}
