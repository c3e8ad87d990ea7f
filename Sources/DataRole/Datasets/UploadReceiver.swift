import Foundation
import Hummingbird
import Kernel
import MultipartKit
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
                guard let boundary = parameter("boundary", in: contentType), !boundary.isEmpty else {
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

    /// Feeds the body through MultipartKit's streaming parser; returns the names the form gave.
    private static func receiveMultipart(
        _ body: RequestBody, boundary: String, into sink: UploadSink
    ) async throws -> (name: String?, fileName: String?) {
        let parser = MultipartParser(boundary: boundary)
        var partField: String?
        var fileParts = 0
        var nameField: [UInt8]?
        var fileName: String?
        var problem: APIError?

        parser.onHeader = { field, value in
            guard field.lowercased() == "content-disposition" else { return }
            partField = parameter("name", in: value)
            guard partField == "file" else { return }
            fileParts += 1
            if fileParts > 1 { problem = .validation(field: "file", problem: "only one file per upload") }
            fileName = parameter("filename", in: value)
        }
        parser.onBody = { buffer in
            switch partField {
            case "file":
                sink.append(buffer)
            case "name":
                // A name is short; anything longer is rejected by validation, not stored.
                if (nameField?.count ?? 0) < 1024 { nameField = (nameField ?? []) + buffer.readableBytesView.prefix(1024) }
            default:
                break
            }
        }
        parser.onPartComplete = { partField = nil }
        do {
            for try await buffer in body {
                try parser.execute(buffer)
                if let failure = sink.failure ?? problem { throw failure }
            }
        } catch let error as APIError {
            throw error
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            throw APIError.badRequest("The multipart body is malformed", code: "malformed_multipart")
        }
        if let failure = sink.failure ?? problem { throw failure }
        guard fileParts > 0 else { throw APIError.validation(field: "file", problem: "field required (the CSV file part)") }
        return (nameField.map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }, fileName)
    }

    /// A `key=value` or `key="value"` parameter of a header value such as
    /// `form-data; name="file"; filename="a.csv"` (keys compared case-insensitively).
    static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces).lowercased() == key else { continue }
            var value = pair[1].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") {
                value = String(value.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
            }
            return value
        }
        return nil
    }
}
