import Foundation
import Hummingbird
import HummingbirdTesting
import Kernel
import MLOpsTesting
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// A bare TCP connection: the HTTP clients at hand never send `Expect: 100-continue` themselves.
struct RawConnection: ~Copyable {
    let socket: Int32

    init(port: Int) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        // Generous: other suites' servers and fits share the machine while this one waits.
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw HarnessFailure("connect failed: errno \(errno)") }
    }

    func send(_ text: String) {
        _ = Array(text.utf8).withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, 0) }
    }

    /// What arrives within the receive timeout, up to 64 KiB, in one read.
    func receive() -> String {
        var buffer = [UInt8](repeating: 0, count: 65536)
        let count = buffer.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        return String(decoding: buffer.prefix(max(count, 0)), as: UTF8.self)
    }

    deinit { close(socket) }
}

struct HarnessFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

@Suite struct ExpectContinueTests {
    @Test func uploadsAskingToContinueAreAnsweredAtOnce() async throws {
        let environment = try await TestEnvironment(role: .all)
        defer { environment.removeFiles() }
        let module = RoleModule(role: .data) { routes in
            routes.post("echo") { request, context -> String in
                String(buffer: try await request.body.collect(upTo: 1 << 20))
            }
        }
        try await buildApplication(environment: environment.kernel, modules: [module]).test(.live) { client in
            let connection = try RawConnection(port: try #require(client.port))
            connection.send("POST /api/v1/data/echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
            let interim = connection.receive()
            #expect(interim.hasPrefix("HTTP/1.1 100 Continue\r\n"), "\(interim)")
            connection.send("hello")
            var final = interim.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
            if final.isEmpty { final = connection.receive() }
            #expect(final.hasPrefix("HTTP/1.1 200 OK"), "\(final)")
            #expect(final.hasSuffix("hello"), "\(final)")
        }
    }
}
