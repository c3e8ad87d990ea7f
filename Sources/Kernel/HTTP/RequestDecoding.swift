import Foundation
import Hummingbird

/// The body checks every endpoint needs: media type (415), size (413), syntax (400) and shape
/// (422 naming the field); generated operations get them through `OperationRouter`.
public enum RequestDecoding {
    /// A 415 unless the body is JSON.
    static func requireJSON(_ request: Request) throws {
        if let type = request.headers[.contentType].flatMap({ MediaType(from: $0) }), type.isType(.applicationJson) { return }
        throw APIError(
            .unsupportedMediaType,
            code: "unsupported_media_type",
            message: "Content-Type must be application/json" + (request.headers[.contentType].map { ", got '\($0)'" } ?? "")
        )
    }

    static func collectBody(_ request: Request, context: AppRequestContext) async throws -> ByteBuffer {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > context.bodyLimit {
            throw payloadTooLarge(limit: context.bodyLimit)
        }
        do {
            return try await request.body.collect(upTo: context.bodyLimit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw payloadTooLarge(limit: context.bodyLimit)
        }
    }

    public static func payloadTooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "payload_too_large", message: "Request body exceeds the limit of \(limit) bytes")
    }

    /// Whether a JSON or form body holds a NUL character (no field accepts one).
    static func containsNUL(_ buffer: ByteBuffer, contentType: String?) -> Bool {
        let isForm = contentType.flatMap { MediaType(from: $0) }?.isType(.applicationUrlEncoded) ?? false
        let bytes = buffer.readableBytesView
        return isForm ? NULCharacter.isInURLEncoded(bytes) : NULCharacter.isEscaped(in: bytes)
    }

    /// Maps Foundation's decoding errors onto the envelope: syntax → 400, shape → 422 with the field path.
    static func apiError(for error: DecodingError) -> APIError {
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return APIError.badRequest("Request body is not valid JSON", code: "malformed_json")
        case .dataCorrupted(let context):
            return .validation(field: fieldPath(context.codingPath), problem: "invalid value")
        case .keyNotFound(let key, let context):
            return .validation(field: fieldPath(context.codingPath + [key]), problem: "field required")
        case .valueNotFound(_, let context):
            return .validation(field: fieldPath(context.codingPath), problem: "must not be null")
        case .typeMismatch(let type, let context):
            return .validation(field: fieldPath(context.codingPath), problem: "expected \(typeName(type))")
        @unknown default:
            return APIError.badRequest("Request body could not be decoded")
        }
    }

    static func fieldPath(_ path: [any CodingKey]) -> String {
        guard !path.isEmpty else { return "body" }
        return path.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue }
            .joined(separator: ".")
            .replacingOccurrences(of: ".[", with: "[")
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "string"
        case is Bool.Type: "boolean"
        case is Int.Type, is Double.Type, is Float.Type, is Int64.Type: "number"
        case is [Any].Type: "array"
        case is [String: Any].Type: "object"
        default: type == [String: JSONValue].self ? "object" : "\(type)".lowercased()
        }
    }
}

extension Request {
    /// The JSON body as a document, for hot paths that read it without `Decodable`: the same
    /// 415/413 checks, and a 400 `malformed_json` naming the byte where the syntax breaks.
    public func jsonDocument(context: AppRequestContext) async throws -> JSONValue {
        try RequestDecoding.requireJSON(self)
        let buffer = try await RequestDecoding.collectBody(self, context: context)
        guard buffer.readableBytes > 0 else {
            throw APIError.badRequest("Request body is empty; a JSON object is expected", code: "malformed_json")
        }
        do {
            return try JSONParser.parse(buffer)
        } catch {
            throw APIError.badRequest("Request body is not valid JSON: \(error)", code: "malformed_json")
        }
    }
}
