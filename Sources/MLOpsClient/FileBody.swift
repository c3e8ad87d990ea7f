import Foundation
import OpenAPIRuntime

/// A file as a request body in 256 KiB chunks with its length up front: an upload never sits
/// whole in memory, and the file is read again if the request must be sent again (after a
/// token refresh).
public enum FileBody {
    public static func body(of url: URL) throws -> HTTPBody {
        guard let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int else {
            throw ClientError.usage("cannot read \(url.path)")
        }
        return HTTPBody(Chunks(url: url), length: .known(Int64(size)), iterationBehavior: .multiple)
    }

    struct Chunks: AsyncSequence, Sendable {
        typealias Element = ArraySlice<UInt8>
        let url: URL

        func makeAsyncIterator() -> Iterator { Iterator(handle: try? FileHandle(forReadingFrom: url), url: url) }

        struct Iterator: AsyncIteratorProtocol {
            let handle: FileHandle?
            let url: URL

            mutating func next() async throws -> ArraySlice<UInt8>? {
                guard let handle else { throw ClientError.usage("cannot read \(url.path)") }
                guard let data = try handle.read(upToCount: 256 * 1024), !data.isEmpty else {
                    try? handle.close()
                    return nil
                }
                return ArraySlice(data)
            }
        }
    }
}
