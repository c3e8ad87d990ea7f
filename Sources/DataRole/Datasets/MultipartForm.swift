import Foundation
import NIOCore

/// Reads an upload's `multipart/form-data` body (RFC 7578) as it streams in: the bytes of the
/// `file` part go to `onFileBytes`, the short `name` part and the file name are kept. The body is
/// never held whole; what waits between slices is at most one part's headers or a possible
/// delimiter. It knows nothing of HTTP so that the fuzz target can drive it with any bytes.
///
/// Hand-written because MultipartKit 4.7.1 traps on a non-ASCII byte in a part's header name,
/// so one crafted upload took the data role down.
final class MultipartForm {
    enum Problem: Error, Equatable {
        case malformed(String)
        case secondFilePart
        case missingFilePart
    }

    /// A name longer than this is rejected by validation, so more of it is never stored.
    static let nameLimit = 1024
    /// One part's header block; browsers and HTTP libraries send a few hundred bytes.
    static let headerLimit = 16 * 1024

    private enum State {
        case preamble, afterDelimiter, headers, body, epilogue
    }

    private let delimiter: [UInt8]
    private let onFileBytes: (UnsafeRawBufferPointer) -> Void
    private var state = State.preamble
    /// Bytes received but not yet settled. The preamble starts as if after a line break, so a
    /// body that opens with `--boundary` matches the delimiter like every later part.
    private var pending: [UInt8] = Array("\r\n".utf8)
    /// How far into the pending header block the search for its end has already looked.
    private var headersScanned = 0
    private var partField: String?
    private var fileParts = 0
    private var nameBytes: [UInt8]?
    private(set) var fileName: String?

    init(boundary: String, onFileBytes: @escaping (UnsafeRawBufferPointer) -> Void) {
        delimiter = Array("\r\n--\(boundary)".utf8)
        self.onFileBytes = onFileBytes
    }

    /// Parses the next slice of the body.
    func consume(_ buffer: ByteBuffer) throws(Problem) {
        buffer.withUnsafeReadableBytes { pending.append(contentsOf: $0) }
        let settled = try advance()
        pending.removeFirst(settled)
    }

    /// After the last slice: the `name` field, if the form had one.
    func finish() throws(Problem) -> String? {
        guard state == .epilogue else { throw .malformed("the body ends before the closing boundary") }
        guard fileParts > 0 else { throw .missingFilePart }
        return nameBytes.map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
    }

    /// Moves through `pending` as far as its bytes allow; returns how many are settled.
    private func advance() throws(Problem) -> Int {
        var index = 0
        while true {
            switch state {
            case .preamble, .body:
                if let match = find(delimiter, from: index) {
                    if state == .body { deliver(index..<match) }
                    partField = nil
                    index = match + delimiter.count
                    state = .afterDelimiter
                } else {
                    // The tail could be the start of a delimiter the next slice completes.
                    let keep = max(index, pending.count - (delimiter.count - 1))
                    if state == .body { deliver(index..<keep) }
                    return keep
                }
            case .afterDelimiter:
                guard index < pending.count else { return index }
                switch pending[index] {
                case UInt8(ascii: " "), UInt8(ascii: "\t"):
                    index += 1  // transport padding
                case UInt8(ascii: "-"):
                    guard index + 1 < pending.count else { return index }
                    guard pending[index + 1] == UInt8(ascii: "-") else { throw .malformed("a boundary is followed by '-' alone") }
                    state = .epilogue
                case UInt8(ascii: "\r"):
                    guard index + 1 < pending.count else { return index }
                    guard pending[index + 1] == UInt8(ascii: "\n") else { throw .malformed("a boundary line does not end in CRLF") }
                    index += 2
                    state = .headers
                default:
                    throw .malformed("a boundary is followed by other text")
                }
            case .headers:
                let blockEnd = Array("\r\n\r\n".utf8)
                if pending.count - index >= 2, pending[index] == UInt8(ascii: "\r"), pending[index + 1] == UInt8(ascii: "\n") {
                    index += 2  // a part without headers
                    headersScanned = 0
                    state = .body
                } else if let end = find(blockEnd, from: index + headersScanned) {
                    // The same limit whether the block came in one slice or many.
                    guard end - index <= Self.headerLimit else { throw .malformed("a part's headers exceed \(Self.headerLimit) bytes") }
                    try readHeaders(pending[index..<end])
                    index = end + blockEnd.count
                    headersScanned = 0
                    state = .body
                } else {
                    guard pending.count - index <= Self.headerLimit + blockEnd.count - 1 else {
                        throw .malformed("a part's headers exceed \(Self.headerLimit) bytes")
                    }
                    // Resume the search where it stopped: a block arriving a byte at a time
                    // is then read once, not once per byte.
                    headersScanned = max(0, pending.count - index - (blockEnd.count - 1))
                    return index
                }
            case .epilogue:
                return pending.count
            }
        }
    }

    private func find(_ needle: [UInt8], from start: Int) -> Int? {
        var position = start
        while position + needle.count <= pending.count {
            guard let candidate = pending[position...].firstIndex(of: needle[0]), candidate + needle.count <= pending.count else { return nil }
            if pending[candidate..<candidate + needle.count].elementsEqual(needle) { return candidate }
            position = candidate + 1
        }
        return nil
    }

    private func deliver(_ range: Range<Int>) {
        guard !range.isEmpty else { return }
        switch partField {
        case "file":
            pending.withUnsafeBytes { onFileBytes(UnsafeRawBufferPointer(rebasing: $0[range])) }
        case "name":
            let room = Self.nameLimit - (nameBytes?.count ?? 0)
            if room > 0 { nameBytes = (nameBytes ?? []) + pending[range].prefix(room) }
        default:
            break
        }
    }

    private func readHeaders(_ block: ArraySlice<UInt8>) throws(Problem) {
        for line in block.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
            let line = line.last == UInt8(ascii: "\r") ? line.dropLast() : line
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")), colon > line.startIndex,
                line[..<colon].allSatisfy(Self.isTokenByte)
            else { throw .malformed("a part header is not 'Name: value'") }
            guard String(decoding: line[..<colon], as: UTF8.self).lowercased() == "content-disposition" else { continue }
            let value = String(decoding: line[(colon + 1)...], as: UTF8.self)
            partField = Self.parameter("name", in: value)
            guard partField == "file" else { continue }
            fileParts += 1
            if fileParts > 1 { throw .secondFilePart }
            fileName = Self.parameter("filename", in: value)
        }
    }

    /// RFC 7230 token characters: the only bytes a header name may hold.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        default:
            Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// A `key=value` or `key="value"` parameter of a header value such as
    /// `form-data; name="file"; filename="a;b.csv"` (keys compared case-insensitively; a
    /// semicolon inside quotes belongs to the value).
    static func parameter(_ key: String, in header: String) -> String? {
        var pieces: [String] = []
        var current = ""
        var quoted = false
        var escaped = false
        for character in header {
            if escaped {
                escaped = false
            } else if quoted, character == "\\" {
                escaped = true
            } else if character == "\"" {
                quoted.toggle()
            } else if character == ";", !quoted {
                pieces.append(current)
                current = ""
                continue
            }
            current.append(character)
        }
        pieces.append(current)
        for piece in pieces.dropFirst() {
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
