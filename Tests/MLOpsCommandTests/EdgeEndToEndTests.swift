import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The split deployment, only through nginx: four roles and nginx rendered from nginx.conf, as
/// plain processes (`deploy/local.sh up`) or as the compose stack (`make up`). `.ci/run` starts one
/// and sets MLOPSD_TEST_EDGE_URL, MLOPSD_TEST_EDGE_ADMIN_PASSWORD and MLOPSD_TEST_EDGE_ORIGIN (one
/// of MLOPSD_CORS_ORIGINS). Skipped when no edge is running.
enum Edge {
    static let environment = ProcessInfo.processInfo.environment
    static let client = environment["MLOPSD_TEST_EDGE_URL"].flatMap(URL.init(string:)).map { HTTPTestClient(baseURL: $0) }
    static let adminPassword = environment["MLOPSD_TEST_EDGE_ADMIN_PASSWORD"]

    /// A file of ../shared/datasets.
    static func dataset(_ name: String) -> URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("../shared/datasets/\(name)").standardized
    }

    /// A record of the crashes data set, as a client sends it.
    static let crashesRecord: [String: any Sendable] = [
        "dvcat": "10-24", "weight": 25.069, "airbag": "airbag", "seatbelt": "belted", "frontal": 1, "sex": "f",
        "ageOFocc": 26, "yearacc": 1997, "yearVeh": 1990.0, "abcat": "deploy", "occRole": "driver", "deploy": 1,
    ]
}

/// The steps every suite through the edge takes: log in, and the path from a CSV to a champion.
struct EdgeSession {
    let client: HTTPTestClient

    /// Logs in, waiting out the edge's auth rate limit as a client should (the burst test may
    /// have filled the zone just before).
    func token(_ username: String, _ password: String) async throws -> String {
        var reply = try await client.json("POST", "api/v1/auth/login", ["username": username, "password": password])
        for _ in 0..<10 where reply.status == 429 {
            try await Task.sleep(for: .seconds(Int(reply.headers["retry-after"] ?? "1") ?? 1))
            reply = try await client.json("POST", "api/v1/auth/login", ["username": username, "password": password])
        }
        #expect(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
        return try #require(try reply.json()["access_token"] as? String)
    }

    func finished(_ accepted: HTTPTestClient.Reply, role: String, admin: String) async throws -> [String: Any] {
        try await client.finished(accepted, role: role, token: admin, every: .milliseconds(250))
    }

    /// Upload crashes.csv, preprocess, build features, train the given model types and promote the
    /// best: the features version and the champion's model name.
    func trainChampion(admin: String, experiment: String, modelTypes: [String]) async throws -> (featuresVersion: String, champion: String) {
        let crashes = Edge.dataset("crashes.csv")
        let upload = try await client.request(
            "POST", "api/v1/data/datasets?name=crashes", body: try Data(contentsOf: crashes), contentType: "text/csv", token: admin
        )
        #expect([200, 201].contains(upload.status), "\(String(decoding: upload.body, as: UTF8.self))")
        let dataset = try #require(try upload.json()["id"] as? String)

        let processed = try await finished(
            try await client.json(
                "POST", "api/v1/data/preprocess", ["dataset_id": dataset, "target": "dead", "drop": ["caseid", "injSeverity"]], token: admin),
            role: "data", admin: admin
        )
        #expect(processed["status"] as? String == "completed", "\(processed)")
        let processedVersion = try #require((processed["result"] as? [String: Any])?["version"] as? String)
        let features = try await finished(
            try await client.json("POST", "api/v1/data/build-features", ["processed_version": processedVersion], token: admin),
            role: "data", admin: admin
        )
        #expect(features["status"] as? String == "completed", "\(features)")
        let featuresVersion = try #require((features["result"] as? [String: Any])?["version"] as? String)

        let trained = try await finished(
            try await client.json(
                "POST", "api/v1/train",
                [
                    "features_version": featuresVersion, "experiment_name": experiment, "model_types": modelTypes,
                ], token: admin),
            role: "train", admin: admin
        )
        #expect(trained["status"] as? String == "completed", "\(trained)")
        let leaderboard = try #require((trained["result"] as? [String: Any])?["leaderboard"] as? [[String: Any]])
        #expect(leaderboard.count == modelTypes.count)

        let promoted = try await client.json("POST", "api/v1/train/fetch-best-model", ["experiment_name": experiment], token: admin)
        #expect(promoted.status == 200, "\(String(decoding: promoted.body, as: UTF8.self))")
        let champion = try #require((try promoted.json()["champion"] as? [String: Any])?["model_name"] as? String)
        return (featuresVersion, champion)
    }

    /// Predicts until the predict role (another process) serves `champion`, picked up from the
    /// models directory the train role wrote it to.
    func predictionFrom(_ champion: String, token: String) async throws -> HTTPTestClient.Reply {
        var prediction = try await client.json("POST", "api/v1/predict", ["features": Edge.crashesRecord], token: token)
        for _ in 0..<100 where prediction.status == 503 || (try? prediction.json()["model_name"] as? String) != champion {
            try await Task.sleep(for: .milliseconds(200))
            prediction = try await client.json("POST", "api/v1/predict", ["features": Edge.crashesRecord], token: token)
        }
        return prediction
    }
}
/// The suites that go through one running edge take turns: each promotes a champion of its own,
/// which the others would see.
@Suite(.serialized) enum EdgeSuites {}

extension EdgeSuites {
    @Suite(.enabled(if: Edge.client != nil, "set MLOPSD_TEST_EDGE_URL to run against a local topology"))
    struct EdgeEndToEndTests {

        let client: HTTPTestClient
        let session: EdgeSession
        let adminPassword: String

        init() throws {
            client = try #require(Edge.client)
            session = EdgeSession(client: client)
            adminPassword = try #require(Edge.adminPassword)
        }

        @Test func wholeWorkflowThroughNginx() async throws {
            let admin = try await session.token("admin", adminPassword)
            let username = "analyst-\(UUID().uuidString.prefix(8).lowercased())"
            let created = try await client.json(
                "POST", "api/v1/auth/users", ["username": username, "password": "analyst-password-1", "email": "\(username)@example.org", "role": "user"],
                token: admin
            )
            #expect(created.status == 201)

            let (featuresVersion, champion) = try await session.trainChampion(
                admin: admin, experiment: "edge-e2e", modelTypes: ["logistic_regression", "random_forest", "gradient_boosting"]
            )

            let user = try await session.token(username, "analyst-password-1")
            let prediction = try await session.predictionFrom(champion, token: user)
            #expect(prediction.status == 200, "\(String(decoding: prediction.body, as: UTF8.self))")
            let body = try prediction.json()
            #expect(["alive", "dead"].contains(body["prediction"] as? String ?? ""))
            #expect(body["model_name"] as? String == champion)
            #expect((body["probabilities"] as? [String: Double])?.count == 2)

            let record = Edge.crashesRecord
            var broken = record
            broken["ageOFocc"] = "old"
            let batch = try await client.json("POST", "api/v1/predict/batch", ["features_list": [record, broken, record]], token: user)
            #expect(batch.status == 200)
            let batchBody = try batch.json()
            #expect(batchBody["count"] as? Int == 2)
            #expect((batchBody["errors"] as? [[String: Any]])?.first?["index"] as? Int == 1)

            // A user is refused on admin routes of every role behind the edge.
            #expect(try await client.request("GET", "api/v1/data/datasets", token: user).status == 403)
            #expect(
                try await client.json("POST", "api/v1/train", ["features_version": featuresVersion, "model_types": ["logistic_regression"]], token: user).status
                    == 403)
            #expect(try await client.request("GET", "api/v1/auth/users", token: user).status == 403)
            #expect(try await client.request("GET", "api/v1/predict/models").status == 401)
        }

        @Test func edgeHeadersRoutesAndErrors() async throws {
            let health = try await client.request("GET", "health", headers: ["X-Request-ID": "edge-test-1"])
            #expect(health.status == 200)
            #expect(health.headers["x-request-id"] == "edge-test-1")
            let role = try await client.request("GET", "api/v1/predict/health", headers: ["X-Request-ID": "edge-test-2"])
            #expect(role.status == 200)
            #expect(role.headers["x-request-id"] == "edge-test-2", "the role sees nginx's id and echoes it once")
            let generated = try await client.request("GET", "api/v1/auth/health", headers: ["X-Request-ID": "bad id with spaces"])
            #expect(generated.headers["x-request-id"].map { !$0.contains(" ") && !$0.isEmpty } == true)

            // Role metrics stay private; unknown paths get the JSON envelope.
            let metrics = try await client.request("GET", "metrics")
            #expect(metrics.status == 404)
            #expect((try metrics.json()["error"] as? [String: Any])?["code"] as? String == "not_found")
            #expect(try await client.request("GET", "api/v1/predict/metrics").status == 404)

            // CORS: preflight answered at the edge for a listed origin only.
            let origin = try #require(Edge.environment["MLOPSD_TEST_EDGE_ORIGIN"])
            let allowed = try await client.request(
                "OPTIONS", "api/v1/predict",
                headers: [
                    "Origin": origin, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type",
                ])
            #expect(allowed.status == 204)
            #expect(allowed.headers["access-control-allow-origin"] == origin)
            #expect(allowed.headers["access-control-allow-headers"]?.lowercased().contains("authorization") == true)
            let refused = try await client.request(
                "OPTIONS", "api/v1/predict",
                headers: [
                    "Origin": "https://evil.example", "Access-Control-Request-Method": "POST",
                ])
            #expect(refused.headers["access-control-allow-origin"] == nil)
            let simple = try await client.request("GET", "api/v1/auth/health", headers: ["Origin": origin])
            #expect(simple.headers["access-control-allow-origin"] == origin)
            #expect(simple.headers["access-control-expose-headers"]?.contains("X-Request-ID") == true)
        }

        /// Last: the burst fills the auth zone for a few seconds.
        @Test func burstOfLoginsIsRateLimitedWithTheJSONEnvelope() async throws {
            // Its own session: the shared one holds a few connections per host, which would spread
            // the burst out below the zone's rate.
            let configuration = URLSessionConfiguration.ephemeral
            configuration.httpMaximumConnectionsPerHost = 40
            let burst = HTTPTestClient(baseURL: client.baseURL, session: URLSession(configuration: configuration))
            let replies = try await withThrowingTaskGroup(of: HTTPTestClient.Reply.self) { group in
                for index in 0..<30 {
                    group.addTask {
                        try await burst.json("POST", "api/v1/auth/login", ["username": "burst-\(index)", "password": "wrong-password"])
                    }
                }
                return try await group.reduce(into: [HTTPTestClient.Reply]()) { $0.append($1) }
            }
            // Distinct usernames: the auth role's own per-username lock-out (also 429) cannot answer these.
            let limited = replies.filter { $0.status == 429 }
            #expect(!limited.isEmpty, "auth zone: 5 r/s with a burst of 10; got \(replies.map { $0.status })")
            let first = try #require(limited.first)
            #expect((try first.json()["error"] as? [String: Any])?["code"] as? String == "rate_limited")
            #expect(first.headers["retry-after"] != nil)
            #expect(first.headers["content-type"]?.hasPrefix("application/json") == true)
            #expect(replies.allSatisfy { [401, 429].contains($0.status) })
        }
    }
}
