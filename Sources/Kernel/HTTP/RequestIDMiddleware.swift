import HTTPTypes
import Hummingbird
import Logging

/// Accepts a well-formed incoming `X-Request-ID` (so nginx and clients can correlate logs),
/// otherwise generates one, and echoes it on every response.
public struct RequestIDMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext

    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        let requestID = request.headers[.xRequestID].flatMap(Self.acceptable) ?? Self.generate()
        context.requestID = requestID
        // One correlation id in the logs: ours replaces the one Hummingbird generates.
        context.logger[metadataKey: "hb.request.id"] = nil
        context.logger[metadataKey: "request_id"] = .string(requestID)
        var response = try await next(request, context)
        response.headers[.xRequestID] = requestID
        return response
    }

    /// Only short, printable, header-safe ids are echoed: anything else could inject into logs.
    static func acceptable(_ value: String) -> String? {
        guard (1...128).contains(value.utf8.count) else { return nil }
        let allowed = value.unicodeScalars.allSatisfy { $0.isASCIIAlphanumeric || "-_.:".unicodeScalars.contains($0) }
        return allowed ? value : nil
    }

    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = UInt64.random(in: .min ... .max, using: &generator)
        let low = UInt64.random(in: .min ... .max, using: &generator)
        return hex(high) + hex(low)
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

extension HTTPField.Name {
    public static let xRequestID = Self("X-Request-ID")!
}
