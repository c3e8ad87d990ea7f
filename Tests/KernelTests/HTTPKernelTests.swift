import Foundation
import Hummingbird
import HummingbirdTesting
import Kernel
import MLOpsTesting
import Testing

/// A role assembled in the test: the job kind from `JobRunnerTests` behind the kernel's job routes,
/// plus an endpoint that decodes JSON so the error paths can be exercised.
struct EchoBody: Decodable {
    var name: String
    var count: Int
}

func testModule(environment: TestEnvironment, gate: Gate) async throws -> RoleModule {
    let database = try AppDatabase.open(
        stateDirectory: environment.settings.stateDirectory, name: "train", migrations: SQLiteJobStore.registerMigrations
    )
    let runner = try await JobRunner(
        store: SQLiteJobStore(database: database), kinds: [countingKind(gate: gate)], historyLimit: 100,
        logger: environment.kernel.logger
    )
    let tokens = environment.kernel.tokens
    return RoleModule(role: .train, databases: [database], jobRunner: runner) { routes in
        let admin = routes.group().add(middleware: AuthGuard.admin(tokens))
        admin.post("count") { request, context -> JobAccepted in
            let job = try await runner.submit(
                type: "count", params: try await request.jsonDocument(context: context), createdBy: try context.requireUser().username)
            return JobAccepted(job: job, statusPrefix: ServiceRole.train.apiPrefix)
        }
        routes.post("echo") { request, context -> String in
            let body = try await request.jsonDocument(context: context).decode(EchoBody.self)
            return "\(body.name) \(body.count)"
        }
    }
}

@Suite struct HTTPKernelTests {
    func withApp(
        overrides: [String: String] = [:],
        _ test: @Sendable (any TestClientProtocol, TestEnvironment, Gate) async throws -> Void
    ) async throws {
        let environment = try await TestEnvironment(role: .all, overrides: overrides)
        defer { environment.removeFiles() }
        let gate = Gate()
        let modules = [try await testModule(environment: environment, gate: gate)]
        let app = buildApplication(environment: environment.kernel, modules: modules)
        try await app.test(.router) { client in try await test(client, environment, gate) }
    }

    @Test func unknownPathsGetTheErrorEnvelope() async throws {
        try await withApp { client, _, _ in
            let response = try await client.send(.get, "/nowhere")
            #expect(response.status == .notFound)
            #expect(response.errorCode == "not_found")
            #expect(try response.json()["detail"] == response.json()["error"]?["message"])
            #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(response.headers[.xRequestID]?.count == 32)
        }
    }

    @Test func wrongMethodIs405WithAllow() async throws {
        try await withApp { client, _, _ in
            let response = try await client.send(.delete, "/api/v1/train/echo")
            #expect(response.status == .methodNotAllowed)
            #expect(response.errorCode == "method_not_allowed")
            #expect(response.headers[.allow] == "POST")
            let parameterised = try await client.send(.delete, "/api/v1/train/status/abc")
            #expect(parameterised.status == .methodNotAllowed)
        }
    }

    @Test func bodyErrorsAreSpecific() async throws {
        try await withApp(overrides: ["MLOPSD_MAX_BODY_BYTES": "1024"]) { client, _, _ in
            let malformed = try await client.execute(
                uri: "/api/v1/train/echo", method: .post, headers: [.contentType: "application/json"], body: ByteBuffer(string: "{\"name\": ")
            )
            #expect(malformed.status == .badRequest)
            #expect(malformed.errorCode == "malformed_json")

            let wrongType = try await client.execute(
                uri: "/api/v1/train/echo", method: .post, headers: [.contentType: "text/plain"], body: ByteBuffer(string: "hi")
            )
            #expect(wrongType.status == .unsupportedMediaType)
            #expect(wrongType.errorCode == "unsupported_media_type")

            let missing = try await client.send(.post, "/api/v1/train/echo", json: ["name": "a"])
            #expect(missing.status == .unprocessableContent)
            #expect(try missing.json()["error"]?["details"] == [["field": "count", "problem": "field required"]])
            // What clients of FastAPI services read, beside the envelope.
            #expect(try missing.json()["detail"] == [["loc": ["body", "count"], "msg": "field required", "type": "missing"]])

            let mistyped = try await client.send(.post, "/api/v1/train/echo", json: ["name": "a", "count": "three"])
            #expect(mistyped.status == .unprocessableContent)
            #expect(try mistyped.json()["error"]?["details"]?[0] == ["field": "count", "problem": "expected number"])
            #expect(try mistyped.json()["detail"]?[0] == ["loc": ["body", "count"], "msg": "expected number", "type": "value_error"])

            let tooLarge = try await client.send(.post, "/api/v1/train/echo", json: ["name": .string(String(repeating: "x", count: 2048)), "count": 1])
            #expect(tooLarge.status == .contentTooLarge)
            #expect(tooLarge.errorCode == "payload_too_large")

            let fine = try await client.send(.post, "/api/v1/train/echo", json: ["name": "a", "count": 3])
            #expect(fine.status == .ok)
            #expect(String(buffer: fine.body) == "a 3")
        }
    }

    @Test func requestIDIsEchoedOrGenerated() async throws {
        try await withApp { client, _, _ in
            let echoed = try await client.send(.get, "/health", headers: [.xRequestID: "trace-42"])
            #expect(echoed.headers[.xRequestID] == "trace-42")
            let hostile = try await client.send(.get, "/health", headers: [.xRequestID: "bad id\u{7f}with spaces"])
            #expect(hostile.headers[.xRequestID] != "bad id\u{7f}with spaces")
            #expect(hostile.headers[.xRequestID]?.count == 32)
            let onError = try await client.send(.get, "/missing", headers: [.xRequestID: "err-1"])
            #expect(onError.headers[.xRequestID] == "err-1")
        }
    }

    @Test func guardsAnswer401And403() async throws {
        try await withApp { client, environment, _ in
            let anonymous = try await client.send(.get, "/api/v1/train/jobs")
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.wwwAuthenticate] == "Bearer")
            let garbage = try await client.send(.get, "/api/v1/train/jobs", token: "not-a-jwt")
            #expect(garbage.status == .unauthorized)
            #expect(garbage.headers[.wwwAuthenticate]?.contains("invalid_token") == true)
            let refresh = try await client.send(.get, "/api/v1/train/jobs", token: try await environment.token(for: "root", role: .admin, type: .refresh))
            #expect(refresh.status == .unauthorized)
            let user = try await client.send(.get, "/api/v1/train/jobs", token: try await environment.token(for: "bob", role: .user))
            #expect(user.status == .forbidden)
            #expect(user.errorCode == "forbidden")
            let admin = try await client.send(.get, "/api/v1/train/jobs", token: try await environment.token(for: "root", role: .admin))
            #expect(admin.status == .ok)
        }
    }

    @Test func jobsOverHTTP() async throws {
        try await withApp { client, environment, gate in
            let token = try await environment.token(for: "root", role: .admin)
            let accepted = try await client.send(.post, "/api/v1/train/count", json: ["steps": 2], token: token)
            #expect(accepted.status == .accepted)
            #expect(accepted.headers[.retryAfter] == "1")
            let id = try #require(try accepted.json()["job_id"]?.stringValue)
            #expect(accepted.headers[.location] == "/api/v1/train/status/\(id)")

            var status = try await client.send(.get, "/api/v1/train/status/\(id)", token: token)
            for _ in 0..<200 where try status.json()["status"] != "running" {
                try await Task.sleep(for: .milliseconds(10))
                status = try await client.send(.get, "/api/v1/train/status/\(id)", token: token)
            }
            #expect(try status.json()["status"] == "running")
            #expect(try status.json()["created_by"] == "root")

            let listed = try await client.send(.get, "/api/v1/train/jobs?status=running&type=count", token: token)
            #expect(try listed.json()["total"] == 1)
            // As clients of the replaced services ask: `job_type`, by an alias, the list under `items`.
            let aliased = try await client.send(.get, "/api/v1/train/jobs?status=running&job_type=counting", token: token)
            #expect(try aliased.json()["total"] == 1)
            #expect(try aliased.json()["items"] == listed.json()["jobs"])
            #expect(try aliased.json()["items"]?[0]?["job_type"] == "count")
            let badFilter = try await client.send(.get, "/api/v1/train/jobs?status=sleeping&limit=0", token: token)
            #expect(badFilter.status == .unprocessableContent)
            #expect(try badFilter.json()["error"]?["details"]?.arrayCount == 2)

            let cancel = try await client.send(.post, "/api/v1/train/jobs/\(id)/cancel", token: token)
            #expect(cancel.status == .ok)
            await gate.open()
            for _ in 0..<200 where try status.json()["status"] != "cancelled" {
                try await Task.sleep(for: .milliseconds(10))
                status = try await client.send(.get, "/api/v1/train/status/\(id)", token: token)
            }
            #expect(try status.json()["status"] == "cancelled")
            let again = try await client.send(.post, "/api/v1/train/jobs/\(id)/cancel", token: token)
            #expect(again.status == .conflict)
            let unknown = try await client.send(.get, "/api/v1/train/status/nope", token: token)
            #expect(unknown.status == .notFound)
        }
    }

    @Test func healthAndReadiness() async throws {
        try await withApp { client, _, _ in
            let health = try await client.send(.get, "/health")
            #expect(health.status == .ok)
            #expect(try health.json()["status"] == "healthy")
            #expect(try health.json()["service"] == "all")
            #expect(try health.json()["timestamp"]?.stringValue?.hasSuffix("Z") == true)
            #expect(try health.json()["version"] == .string(MLOpsVersion.current))
            let roleHealth = try await client.send(.get, "/api/v1/train/health")
            #expect(try roleHealth.json()["role"] == "train")
            let ready = try await client.send(.get, "/ready")
            #expect(ready.status == .ok)
            #expect(try ready.json()["checks"]?["train.sqlite"] == "ok")
        }
    }

    @Test func metricsAreValidPrometheusText() async throws {
        try await withApp { client, environment, _ in
            _ = try await client.send(.get, "/health")
            _ = try await client.send(.get, "/nowhere")
            _ = try await client.send(.get, "/api/v1/train/status/x", token: try await environment.token(for: "root", role: .admin))
            let response = try await client.send(.get, "/metrics")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = String(buffer: response.body)
            try PrometheusText.validate(text)
            #expect(text.contains(#"mlopsd_http_requests_total{route="/health",method="GET",status="200"} 1"#))
            #expect(text.contains(#"route="/api/v1/train/status/{job_id}",method="GET",status="404""#))
            #expect(text.contains("mlopsd_http_request_duration_seconds_bucket"))
            #expect(text.contains(#"mlopsd_jobs{role="train",status="pending"} 0"#))
            #expect(text.contains(#"mlopsd_build_info{version="\#(MLOpsVersion.current)",role="all"} 1"#))
        }
    }

    @Test func accessLogNamesTheUserButNeverTheToken() async throws {
        let sink = LogSink.capturing()
        let environment = try await TestEnvironment(role: .all, logSink: sink)
        defer { environment.removeFiles() }
        let app = buildApplication(environment: environment.kernel, modules: [try await testModule(environment: environment, gate: Gate())])
        let token = try await environment.token(for: "root", role: .admin)
        try await app.test(.router) { client in
            _ = try await client.send(.get, "/api/v1/train/jobs?limit=5", token: token, headers: [.xRequestID: "log-1"])
        }
        let line = try #require(sink.captured.first { $0.contains("\"log-1\"") && $0.contains("\"msg\":\"request\"") })
        let entry = try JSONValue(jsonString: line)
        #expect(entry["user"] == "root")
        #expect(entry["status"] == 200)
        #expect(entry["path"] == "/api/v1/train/jobs")
        #expect(entry["method"] == "GET")
        #expect(entry["duration_ms"] != nil)
        #expect(!sink.captured.joined().contains(token))
    }
}

/// A strict reader of the Prometheus text exposition format (version 0.0.4).
enum PrometheusText {
    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    static func validate(_ text: String) throws {
        var samples = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("# HELP ") || line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ", maxSplits: 3)
                guard parts.count >= 4 || (line.hasPrefix("# HELP ") && parts.count >= 3) else { throw Invalid(description: "bad comment: \(line)") }
                if line.hasPrefix("# TYPE ") && !["counter", "gauge", "histogram", "summary", "untyped"].contains(String(parts[3])) {
                    throw Invalid(description: "bad type: \(line)")
                }
                continue
            }
            guard let space = line.lastIndex(of: " ") else { throw Invalid(description: "no value: \(line)") }
            let series = line[..<space]
            let value = line[line.index(after: space)...]
            guard Double(value) != nil || ["+Inf", "-Inf", "NaN"].contains(String(value)) else {
                throw Invalid(description: "bad value: \(line)")
            }
            let name = series.prefix { $0 != "{" }
            guard let first = name.first, first.isLetter || first == "_" || first == ":",
                name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == ":" })
            else { throw Invalid(description: "bad metric name: \(line)") }
            if series.contains("{") {
                guard series.hasSuffix("}") else { throw Invalid(description: "unclosed labels: \(line)") }
            }
            samples += 1
        }
        guard samples > 0 else { throw Invalid(description: "no samples") }
    }
}
