import Foundation
import Hummingbird
import Kernel
import NIOCore

/// A dataset upload received into a staging file: its bytes, digest and the name it was given.
struct ReceivedUpload {
    let sink: UploadSink
    let digest: DataVersion.Digest
    /// From `?name=` or the `name` form field.
    let name: String?
    /// The `filename` of the multipart file part.
    let fileName: String?
}

/// Streams `POST /datasets` bodies to disk: a raw `text/csv` body, or the `file` part of a
/// `multipart/form-data` body (with an optional `name` part).
enum UploadReceiver {
    static let acceptedTypes = "text/csv or multipart/form-data"

    static func receive(_ request: Request, into url: URL, limit: Int) async throws -> ReceivedUpload {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw RequestDecoding.payloadTooLarge(limit: limit)
        }
        let contentType = request.headers[.contentType] ?? ""
        let mediaType = MediaType(from: contentType)
        let queryName = request.uri.queryParameters.get("name")
        let sink = try UploadSink(url: url, limit: limit)
        do {
            if let mediaType, mediaType.isType(.textCsv) || mediaType.isType(MediaType(type: .application, subType: "csv")) {
                for try await buffer in request.body {
                    sink.append(buffer)
                    if sink.failure != nil { break }
                }
                return ReceivedUpload(sink: sink, digest: try sink.finish(), name: queryName, fileName: nil)
            }
            if let mediaType, mediaType.isType(.multipartForm) {
                guard let boundary = MultipartForm.parameter("boundary", in: contentType), !boundary.isEmpty else {
                    throw APIError.badRequest("multipart/form-data needs a boundary parameter", code: "malformed_multipart")
                }
                let form = try await receiveMultipart(request.body, boundary: boundary, into: sink)
                return ReceivedUpload(sink: sink, digest: try sink.finish(), name: queryName ?? form.name, fileName: form.fileName)
            }
        } catch {
            sink.discard()
            throw error
        }
        sink.discard()
        throw APIError(
            .unsupportedMediaType, code: "unsupported_media_type",
            message: "Content-Type must be \(acceptedTypes)" + (contentType.isEmpty ? "" : ", got '\(contentType)'")
        )
    }

    /// Feeds the body through `MultipartForm`; returns the names the form gave.
    private static func receiveMultipart(
        _ body: RequestBody, boundary: String, into sink: UploadSink
    ) async throws -> (name: String?, fileName: String?) {
        let form = MultipartForm(boundary: boundary) { sink.append($0) }
        do {
            for try await buffer in body {
                try form.consume(buffer)
                if let failure = sink.failure { throw failure }
            }
            if let failure = sink.failure { throw failure }
            return (try form.finish(), form.fileName)
        } catch let problem as MultipartForm.Problem {
            switch problem {
            case .malformed(let reason): throw APIError.badRequest("The multipart body is malformed: \(reason)", code: "malformed_multipart")
            case .secondFilePart: throw APIError.validation(field: "file", problem: "only one file per upload")
            case .missingFilePart: throw APIError.validation(field: "file", problem: "field required (the CSV file part)")
            }
        }
    }
}
