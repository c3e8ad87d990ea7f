import AsyncHTTPClient
import Foundation
import Kernel
import NIOCore
import NIOHTTP1

/// The HTTP side of talking to an MLflow tracking server: authentication as MLflow's own client
/// does it, a timeout per request, and retries with exponential backoff on connection errors,
/// 429 and 5xx.
struct MLflowClient: Sendable {
    struct Configuration: Sendable {
        var trackingURI: String
        var username: String?
        var password: String?
        var token: String?
        var timeout: Duration = .seconds(30)
        var maxRetries = 3
        var backoff: Duration = .milliseconds(500)
        /// One call, retries included, ends within this: under nginx's 60 s for the requests
        /// (promotion) that wait for MLflow.
        var retryBudget: Duration = .seconds(45)
    }

    /// An answer MLflow gave with an error status: `{"error_code", "message"}`.
    struct ServerError: Error, CustomStringConvertible {
        var status: Int
        var code: String
        var message: String

        var description: String { "MLflow answered \(status) \(code): \(message)" }
    }

    let configuration: Configuration
    let http: HTTPClient

    init(configuration: Configuration, http: HTTPClient = .shared) {
        self.configuration = configuration
        self.http = http
    }

    private var base: String {
        var uri = configuration.trackingURI
        while uri.hasSuffix("/") { uri.removeLast() }
        return uri
    }

    /// `MLFLOW_TRACKING_TOKEN` wins over username and password, as in MLflow's client.
    private var authorization: String? {
        if let token = configuration.token, !token.isEmpty { return "Bearer \(token)" }
        guard let username = configuration.username, let password = configuration.password else { return nil }
        return "Basic " + Data("\(username):\(password)".utf8).base64EncodedString()
    }

    /// Calls that create something: a retry after an answer was lost (a timeout, a 5xx from a
    /// proxy) would create it twice, a second run or model version.
    static let creatingPaths: Set<String> = ["experiments/create", "runs/create", "registered-models/create", "model-versions/create"]

    /// A call to `/api/2.0/mlflow/<path>` with a JSON body (POST) or query (GET).
    func call(_ method: HTTPMethod, _ path: String, query: [(String, String)] = [], json: JSONValue? = nil) async throws -> JSONValue {
        let body = json.map { Array($0.jsonString().utf8) }
        let data = try await send(
            method, url(base + "/api/2.0/mlflow/" + path, query: query), body: body, contentType: "application/json",
            idempotent: !Self.creatingPaths.contains(path)
        )
        return data.isEmpty ? .object([:]) : try JSONValue(jsonString: String(decoding: data, as: UTF8.self))
    }

    /// Artifact bytes through the tracking server's proxy (`mlflow-artifacts:` URIs).
    func artifact(_ method: HTTPMethod, artifactURI: String, path: String, body: [UInt8]? = nil) async throws -> [UInt8] {
        let prefix = "mlflow-artifacts:"
        guard artifactURI.hasPrefix(prefix) else {
            throw TrackingError("run artifacts are at '\(artifactURI)', which the tracking server does not proxy")
        }
        var location = String(artifactURI.dropFirst(prefix.count))
        while location.hasPrefix("/") { location.removeFirst() }
        let encodedPath = path.split(separator: "/").map { $0.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? String($0) }
        let url = base + "/api/2.0/mlflow-artifacts/artifacts/" + location + "/" + encodedPath.joined(separator: "/")
        return try await send(method, url, body: body, contentType: "application/octet-stream")
    }

    private func url(_ url: String, query: [(String, String)]) -> String {
        guard !query.isEmpty else { return url }
        var allowed = CharacterSet.urlQueryAllowed
        allowed.remove(charactersIn: "&=+?")
        return url + "?" + query.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }.joined(separator: "&")
    }

    /// Retries what is safe to repeat (a creating call only on 429, which says it was not
    /// processed), and never past `retryBudget` in all, so a promotion answers before nginx gives up.
    private func send(_ method: HTTPMethod, _ url: String, body: [UInt8]?, contentType: String, idempotent: Bool = true) async throws -> [UInt8] {
        var attempt = 0
        let deadline = ContinuousClock.now + configuration.retryBudget
        while true {
            do {
                return try await sendOnce(method, url, body: body, contentType: contentType)
            } catch let error where attempt < configuration.maxRetries && Self.isRetryable(error, idempotent: idempotent) {
                attempt += 1
                let pause = configuration.backoff * (1 << (attempt - 1))
                guard ContinuousClock.now + pause + configuration.timeout <= deadline else { throw error }
                try await Task.sleep(for: pause)
            }
        }
    }

    private func sendOnce(_ method: HTTPMethod, _ url: String, body: [UInt8]?, contentType: String) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let body {
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(body)
        }
        let response = try await http.execute(request, timeout: TimeAmount(configuration.timeout))
        let data = Array(buffer: try await response.body.collect(upTo: 256 << 20))
        guard (200..<300).contains(response.status.code) else {
            let answer = try? JSONValue(jsonString: String(decoding: data, as: UTF8.self))
            throw ServerError(
                status: Int(response.status.code),
                code: answer?["error_code"]?.stringValue ?? "HTTP_\(response.status.code)",
                message: answer?["message"]?.stringValue ?? String(decoding: data.prefix(300), as: UTF8.self)
            )
        }
        return data
    }

    /// Connection problems, timeouts, 429 and 5xx are worth another try for a call that may be
    /// repeated; for one that creates something, only 429. Other answers are final.
    static func isRetryable(_ error: any Error, idempotent: Bool = true) -> Bool {
        if let server = error as? ServerError { return server.status == 429 || (idempotent && server.status >= 500) }
        return idempotent && !(error is CancellationError)
    }
}
