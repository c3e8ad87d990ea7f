import DataRole
import Foundation
import Hummingbird
import HummingbirdTesting
import Kernel
import MLOpsTesting
import Testing

/// A data role on a fresh state and data directory, with an admin and a user token.
struct DataHarness {
    let environment: TestEnvironment
    let module: RoleModule
    let admin: String
    let user: String

    init(overrides: [String: String] = [:], reuse previous: TestEnvironment? = nil) async throws {
        if let previous {
            environment = previous
        } else {
            environment = try await TestEnvironment(role: .data, overrides: overrides)
        }
        module = try await DataRole.module(environment: environment.kernel)
        admin = try await environment.token(for: "admin", role: .admin)
        user = try await environment.token(for: "alice", role: .user)
    }

    var dataDirectory: URL { URL(fileURLWithPath: environment.settings.dataDirectory) }

    @discardableResult
    func run<Value: Sendable>(_ test: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        try await buildApplication(environment: environment.kernel, modules: [module]).test(.router, test)
    }

    static func dataset(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("../shared/datasets/\(name)").standardized
    }
}

extension TestClientProtocol {
    func uploadCSV(_ bytes: some Sequence<UInt8>, name: String? = nil, token: String?, contentType: String = "text/csv") async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: contentType]
        if let token { headers[.authorization] = "Bearer \(token)" }
        let query = name.map { "?name=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)" } ?? ""
        return try await execute(uri: "/api/v1/data/datasets\(query)", method: .post, headers: headers, body: ByteBuffer(bytes: Array(bytes)))
    }

    func uploadMultipart(_ bytes: [UInt8], fileName: String, name: String? = nil, token: String) async throws -> TestResponse {
        let boundary = "mlopsd-test-\(UUID().uuidString)"
        var body = ""
        if let name {
            body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\n\(name)\r\n"
        }
        body += "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(fileName)\"\r\nContent-Type: text/csv\r\n\r\n"
        var buffer = ByteBuffer(string: body)
        buffer.writeBytes(bytes)
        buffer.writeString("\r\n--\(boundary)--\r\n")
        return try await execute(
            uri: "/api/v1/data/datasets", method: .post,
            headers: [.contentType: "multipart/form-data; boundary=\(boundary)", .authorization: "Bearer \(token)"],
            body: buffer
        )
    }

    /// Polls a job until it finishes and returns its final record.
    func waitForJob(_ id: String, token: String, timeout: Duration = .seconds(120)) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let job = try await send(.get, "/api/v1/data/status/\(id)", token: token).json()
            if let status = job["status"]?.stringValue, ["completed", "failed", "cancelled"].contains(status) { return job }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError("job \(id) did not finish within \(timeout)")
    }

    /// Submits a job, checks the 202 contract, waits for it and returns the final record.
    func runJob(_ path: String, _ body: JSONValue, token: String) async throws -> JSONValue {
        let accepted = try await send(.post, "/api/v1/data/\(path)", json: body, token: token)
        #expect(accepted.status == .accepted, "\(String(buffer: accepted.body))")
        let id = try #require(try accepted.json()["job_id"]?.stringValue)
        #expect(accepted.headers[.location] == "/api/v1/data/status/\(id)")
        #expect(accepted.headers[.retryAfter] != nil)
        return try await waitForJob(id, token: token)
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
