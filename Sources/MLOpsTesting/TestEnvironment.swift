import Configuration
import Foundation
import Hummingbird
import HummingbirdTesting
import Kernel
import Logging

/// Settings and a kernel for tests: a fresh state directory, a known secret and admin
/// password, and bcrypt at its minimum cost so tests stay fast.
public struct TestEnvironment: Sendable {
    public static let secret = "test-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
    public static let adminPassword = "admin-password-123"

    public let directory: URL
    public let kernel: KernelEnvironment

    public var settings: Settings { kernel.settings }

    public init(role: ServiceRole = .all, overrides: [String: String] = [:], logSink: LogSink? = nil) async throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("mlopsd-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var variables = [
            "DEBUG": "true",
            "JWT_SECRET_KEY": Self.secret,
            "ADMIN_PASSWORD": Self.adminPassword,
            "MLOPSD_BCRYPT_COST": "4",
            "MLOPSD_STATE_DIR": directory.appendingPathComponent("state").path,
            "MLOPSD_DATA_DIR": directory.appendingPathComponent("data").path,
            "MLOPSD_MODELS_DIR": directory.appendingPathComponent("models").path,
        ]
        variables.merge(overrides) { _, override in override }
        let settings = try Settings(config: Self.config(variables), roleOverride: role)
        var logger = Logger(label: "mlopsd-test") { label in
            JSONLogHandler(label: label, level: .debug, sink: logSink ?? .capturing())
        }
        logger.logLevel = .debug
        kernel = try await KernelEnvironment.make(settings: settings, logger: logger)
    }

    /// A `ConfigReader` over the given variables only (no process environment, no `.env`).
    public static func config(_ variables: [String: String]) -> ConfigReader {
        ConfigReader(provider: EnvironmentVariablesProvider(environmentVariables: variables))
    }

    /// Signs a token as the auth role would, for guards tested without the auth role.
    public func token(
        for username: String,
        role: UserRole,
        type: TokenType = .access,
        issuedAt: Date = Date(),
        lifetime: Duration = .seconds(300)
    ) async throws -> String {
        try await kernel.tokens.sign(
            TokenClaims(subject: username, role: role, type: type, issuedAt: issuedAt, lifetime: lifetime, id: UUID().uuidString)
        )
    }

    public func removeFiles() {
        try? FileManager.default.removeItem(at: directory)
    }
}

extension TestResponse {
    /// The response body decoded as JSON.
    public func json() throws -> JSONValue {
        try JSONValue(jsonString: String(buffer: body))
    }

    /// `error.code` of an error envelope, nil when the body is not one.
    public var errorCode: String? {
        (try? json())?["error"]?["code"]?.stringValue
    }
}

extension TestClientProtocol {
    /// Sends a JSON body with the right content type.
    @discardableResult
    public func send(
        _ method: HTTPRequest.Method,
        _ uri: String,
        json: JSONValue? = nil,
        token: String? = nil,
        headers extra: HTTPFields = [:]
    ) async throws -> TestResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        var body: ByteBuffer?
        if let json {
            headers[.contentType] = "application/json"
            body = ByteBuffer(string: json.jsonString())
        }
        return try await execute(uri: uri, method: method, headers: headers, body: body)
    }
}
