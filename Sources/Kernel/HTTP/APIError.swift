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

/// The error body: mlopsd's envelope, and beside it `detail` as FastAPI clients read it — the
/// message, or for a 422 one `{loc, msg, type}` per field, `loc` starting with where the field is
/// (`body`, `query` or `path`).
struct ErrorEnvelope: Encodable {
    struct Body: Encodable {
        var code: String
        var message: String
        var details: [FieldProblem]
    }

    struct FieldError: Encodable {
        enum Location: Encodable {
            case name(String)
            case index(Int)

            func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                switch self {
                case .name(let name): try container.encode(name)
                case .index(let index): try container.encode(index)
                }
            }
        }

        var loc: [Location]
        var msg: String
        var type: String
    }

    enum Detail: Encodable {
        case message(String)
        case fields([FieldError])

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .message(let message): try container.encode(message)
            case .fields(let fields): try container.encode(fields)
            }
        }
    }

    var error: Body
    var detail: Detail

    init(_ error: APIError, query: Set<String>, path: Set<String>) {
        self.error = Body(code: error.code, message: error.message, details: error.details)
        guard error.status == .unprocessableContent, !error.details.isEmpty else {
            detail = .message(error.message)
            return
        }
        detail = .fields(
            error.details.map { problem in
                let steps = Self.steps(problem.field)
                let first = steps.first.flatMap { if case .name(let name) = $0 { name } else { nil } } ?? ""
                let origin = query.contains(first) ? "query" : path.contains(first) ? "path" : "body"
                let loc: [FieldError.Location] = problem.field == "body" ? [.name("body")] : [.name(origin)] + steps
                return FieldError(loc: loc, msg: problem.problem, type: problem.problem == "field required" ? "missing" : "value_error")
            })
    }

    /// `features_list[2].age` → `features_list`, 2, `age`.
    static func steps(_ field: String) -> [FieldError.Location] {
        var steps: [FieldError.Location] = []
        for part in field.split(separator: ".") {
            var rest = part[...]
            if let bracket = rest.firstIndex(of: "[") {
                if bracket > rest.startIndex { steps.append(.name(String(rest[..<bracket]))) }
                rest = rest[bracket...]
                while rest.first == "[", let close = rest.firstIndex(of: "]") {
                    let inside = rest[rest.index(after: rest.startIndex)..<close]
                    steps.append(Int(inside).map(FieldError.Location.index) ?? .name(String(inside)))
                    rest = rest[rest.index(after: close)...]
                }
            } else {
                steps.append(.name(String(rest)))
            }
        }
        return steps
    }
}

extension APIError: HTTPResponseError {
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        let envelope = ErrorEnvelope(
            self, query: Set(request.uri.queryParameters.map { String($0.key) }), path: Set(context.parameters.map { String($0.key) }))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(envelope)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
