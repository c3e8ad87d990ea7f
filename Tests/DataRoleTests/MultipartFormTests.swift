import NIOCore
import Testing

@testable import DataRole

@Suite struct MultipartFormTests {
    /// The file, name and verdict of `body` read in slices of `size` bytes.
    static func read(_ body: String, slices size: Int) -> (file: String, name: String?, problem: MultipartForm.Problem?) {
        var file: [UInt8] = []
        let form = MultipartForm(boundary: "XyZ") { file.append(contentsOf: $0) }
        let bytes = Array(body.utf8)
        do {
            for start in stride(from: 0, to: bytes.count, by: size) {
                try form.consume(ByteBuffer(bytes: bytes[start..<min(start + size, bytes.count)]))
            }
            let name = try form.finish()
            return (String(decoding: file, as: UTF8.self), name, nil)
        } catch {
            return (String(decoding: file, as: UTF8.self), nil, error)
        }
    }

    @Test func aFormReadsTheSameInAnySlices() {
        let body =
            "preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nflights\r\n"
            + "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a;b.csv\"\r\nContent-Type: text/csv\r\n\r\n"
            + "a,b\r\n1,--XyZ-not-a-boundary\r\n\r\n--XyZ--\r\nepilogue"
        for size in [1, 2, 3, 7, 64, body.utf8.count] {
            let read = Self.read(body, slices: size)
            #expect(read.problem == nil, "slices of \(size)")
            #expect(read.file == "a,b\r\n1,--XyZ-not-a-boundary\r\n", "slices of \(size)")
            #expect(read.name == "flights", "slices of \(size)")
        }
    }

    /// Found in review: the 16 KiB header limit held only when the block came in small slices.
    @Test func headersOverTheLimitAreRefusedInAnySlices() {
        let padding = String(repeating: "p", count: MultipartForm.headerLimit + 10)
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\nX-Pad: \(padding)\r\n\r\na\n1\n\r\n--XyZ--\r\n"
        for size in [1, 1000, body.utf8.count] {
            guard case .malformed(let reason)? = Self.read(body, slices: size).problem else {
                Issue.record("slices of \(size): accepted")
                continue
            }
            #expect(reason.contains("headers exceed"), "slices of \(size)")
        }
    }
}
