import Hummingbird

/// A response whose JSON text was written with `JSONWriter` (hot paths that skip `Encodable`).
public struct JSONResponse: ResponseGenerator {
    public var status: HTTPResponse.Status
    public var writer: JSONWriter

    public init(status: HTTPResponse.Status = .ok, _ writer: JSONWriter) {
        self.status = status
        self.writer = writer
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: writer.bytes))
        )
    }
}
