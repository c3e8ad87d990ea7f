import Hummingbird

/// Refuses a NUL character in the path or a query parameter with a 422 naming where it is. No
/// identifier, name or filter the API takes has one, and PostgreSQL text cannot hold one: let
/// through, it surfaced as a 500 from the database instead of a clear answer.
struct NULCharacterGuard: RouterMiddleware {
    typealias Context = AppRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if NULCharacter.isInURLEncoded(Array(request.uri.path.utf8)) {
            throw APIError.validation(field: "path", problem: "contains a NUL character")
        }
        for (name, value) in request.uri.queryParameters where value.contains("\u{0}") || name.contains("\u{0}") {
            throw APIError.validation(field: String(name), problem: "contains a NUL character")
        }
        return try await next(request, context)
    }
}

enum NULCharacter {
    /// Whether a form body holds a NUL, raw or as `%00` (checked on the raw text: a malformed
    /// escape elsewhere must not hide it).
    static func isInURLEncoded(_ body: some Collection<UInt8>) -> Bool {
        let bytes = Array(body)
        if bytes.contains(0) { return true }
        guard bytes.count >= 3 else { return false }
        for index in 0..<(bytes.count - 2) where bytes[index] == UInt8(ascii: "%") {
            if bytes[index + 1] == UInt8(ascii: "0"), bytes[index + 2] == UInt8(ascii: "0") { return true }
        }
        return false
    }

    /// Whether a JSON text holds a `\u0000` escape (a raw NUL byte is not valid JSON anyway):
    /// an escape is one only when an odd number of backslashes precedes the `u`.
    static func isEscaped(in json: some Collection<UInt8>) -> Bool {
        let bytes = Array(json)
        guard bytes.count >= 6 else { return false }
        var index = 0
        while index + 5 < bytes.count {
            if bytes[index] == UInt8(ascii: "\\") {
                if bytes[index + 1] == UInt8(ascii: "u"), bytes[(index + 2)...(index + 5)].allSatisfy({ $0 == UInt8(ascii: "0") }) {
                    return true
                }
                // Skip the escaped character, so `\\u0000` (a backslash, then text) is not one.
                index += 2
                continue
            }
            index += 1
        }
        return false
    }
}
