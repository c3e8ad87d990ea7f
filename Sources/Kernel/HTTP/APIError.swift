import Foundation
import Hummingbird

/// One problem with one input field, as reported in `error.details`.
public struct FieldProblem: Codable, Sendable, Equatable {
    public var field: String
    public var problem: String

    public init(field: String, problem: String) {
        self.field = field
        self.problem = problem
    }
}

/// The uniform error every endpoint returns:
/// `{"error": {"code": "...", "message": "...", "details": [...]}}`.
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var details: [FieldProblem]
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status,
        code: String,
        message: String,
        details: [FieldProblem] = [],
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    public static func validation(_ details: [FieldProblem], message: String? = nil) -> APIError {
        APIError(
            .unprocessableContent,
            code: "validation_failed",
            message: message ?? details.map { "\($0.field): \($0.problem)" }.joined(separator: "; "),
            details: details
        )
    }

    public static func validation(field: String, problem: String) -> APIError {
        .validation([FieldProblem(field: field, problem: problem)])
    }

    public static func notFound(_ message: String) -> APIError {
        APIError(.notFound, code: "not_found", message: message)
    }

    public static func conflict(_ message: String) -> APIError {
        APIError(.conflict, code: "conflict", message: message)
    }

    public static func unauthorized(_ message: String, code: String = "not_authenticated") -> APIError {
        // RFC 6750 §3: tell the client which scheme to use, and why a presented token failed.
        let challenge = code == "invalid_token" ? "Bearer error=\"invalid_token\"" : "Bearer"
        return APIError(.unauthorized, code: code, message: message, headers: [.wwwAuthenticate: challenge])
    }

    public static func forbidden(_ message: String) -> APIError {
        APIError(.forbidden, code: "forbidden", message: message)
    }

    public static func badRequest(_ message: String, code: String = "bad_request") -> APIError {
        APIError(.badRequest, code: code, message: message)
    }
}

struct ErrorEnvelope: Codable {
    struct Body: Codable {
        var code: String
        var message: String
        var details: [FieldProblem]
    }
    var error: Body
}

extension APIError: HTTPResponseError {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        let envelope = ErrorEnvelope(error: .init(code: code, message: message, details: details))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(envelope)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
