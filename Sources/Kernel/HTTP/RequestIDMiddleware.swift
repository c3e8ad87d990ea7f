import HTTPTypes
import Hummingbird
import Logging
import Synchronization

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

    /// A random per-process prefix and a counter: unique across replicas and restarts without
    /// a `getrandom` call per request. Ids correlate logs; they are not secrets.
    static func generate() -> String {
        let sequence = counter.wrappingAdd(1, ordering: .relaxed).oldValue
        return processPrefix + hex(sequence)
    }

    private static let processPrefix: String = {
        var generator = SystemRandomNumberGenerator()
        return hex(UInt64.random(in: .min ... .max, using: &generator))
    }()

    private static let counter = Atomic<UInt64>(0)

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

extension HTTPField.Name {
    public static let xRequestID = Self("X-Request-ID")!
}
