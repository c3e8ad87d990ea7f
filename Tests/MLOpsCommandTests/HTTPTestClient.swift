import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Real HTTP requests to a running server (a `LiveServer`, or the nginx edge in CI).
struct HTTPTestClient: Sendable {
    let baseURL: URL
    var session: URLSession = .shared

    struct Reply {
        let status: Int
        let headers: [String: String]
        let body: Data

        func json() throws -> [String: Any] {
            try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:]
        }
    }

    func request(
        _ method: String, _ path: String, body: Data? = nil, contentType: String? = nil, token: String? = nil,
        headers extra: [String: String] = [:]
    ) async throws -> Reply {
        // Appended as text: `appendingPathComponent` would percent-encode a query's `?`.
        var request = URLRequest(url: try #require(URL(string: baseURL.absoluteString + "/" + path)))
        request.httpMethod = method
        request.httpBody = body
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in extra { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await session.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields { headers[String(describing: key).lowercased()] = String(describing: value) }
        return Reply(status: http.statusCode, headers: headers, body: data)
    }

    /// Follows a job from its 202 until it ends (180 s at most). Through the edge, polls stay
    /// under the general rate limit.
    func finished(_ accepted: Reply, role: String, token: String, every interval: Duration) async throws -> [String: Any] {
        #expect(accepted.status == 202, "\(String(decoding: accepted.body, as: UTF8.self))")
        let id = try #require(try accepted.json()["job_id"] as? String)
        #expect(accepted.headers["location"]?.hasSuffix("/api/v1/\(role)/status/\(id)") == true)
        let deadline = ContinuousClock.now + .seconds(180)
        while ContinuousClock.now < deadline {
            let job = try await request("GET", "api/v1/\(role)/status/\(id)", token: token).json()
            if let status = job["status"] as? String, status != "pending", status != "running" { return job }
            try await Task.sleep(for: interval)
        }
        Issue.record("job \(id) did not finish in 180 s")
        return [:]
    }

    func json(_ method: String, _ path: String, _ object: [String: Any], token: String? = nil) async throws -> Reply {
        try await request(method, path, body: try JSONSerialization.data(withJSONObject: object), contentType: "application/json", token: token)
    }
}
