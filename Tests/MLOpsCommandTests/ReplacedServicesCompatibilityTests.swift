import Foundation
import Testing

/// What the REST clients of the services mlopsd replaces rely on, through the edge: one test per
/// group of conventions in docs/api.md, "Clients of the original services".
extension EdgeSuites {
    @Suite(.enabled(if: Edge.client != nil, "set MLOPSD_TEST_EDGE_URL to run against a local topology"))
    struct ReplacedServicesCompatibilityTests {
        let client: HTTPTestClient
        let session: EdgeSession
        let adminPassword: String

        init() throws {
            client = try #require(Edge.client)
            session = EdgeSession(client: client)
            adminPassword = try #require(Edge.adminPassword)
        }

        /// A request to the auth role, waiting out the edge's auth rate limit as a client would
        /// (other suites' logins share the zone).
        func auth(_ method: String, _ path: String, _ body: [String: Any]? = nil, token: String? = nil) async throws -> HTTPTestClient.Reply {
            var reply: HTTPTestClient.Reply
            repeat {
                reply =
                    if let body { try await client.json(method, path, body, token: token) } else {
                        try await client.request(method, path, token: token)
                    }
                guard reply.status == 429, (try? reply.json()["error"] as? [String: Any])?["code"] as? String == "rate_limited" else { break }
                try await Task.sleep(for: .seconds(Int(reply.headers["retry-after"] ?? "1") ?? 1))
            } while true
            return reply
        }

        func newAccount(_ prefix: String, admin: String) async throws -> (username: String, password: String) {
            let username = "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
            let created = try await auth(
                "POST", "api/v1/auth/users", ["username": username, "password": "compat-password", "email": "\(username)@example.org"], token: admin)
            #expect(created.status == 201)
            return (username, "compat-password")
        }

        /// Items 1–4: `detail` in error bodies, the health answer, accounts, job listings.
        @Test func errorsHealthAccountsAndJobListings() async throws {
            let health = try await client.request("GET", "api/v1/data/health").json()
            #expect(health["status"] as? String == "healthy")
            #expect(health["service"] as? String == "data")
            #expect((health["timestamp"] as? String).map { !$0.isEmpty } == true)

            // `detail` beside the envelope: nginx's own errors, the roles' messages and field errors.
            let edgeError = try await client.request("GET", "metrics").json()
            #expect(edgeError["detail"] as? String == (edgeError["error"] as? [String: Any])?["message"] as? String)
            let admin = try await session.token("admin", adminPassword)
            let badPage = try await client.request("GET", "api/v1/data/jobs?limit=0", token: admin)
            #expect(badPage.status == 422)
            let fieldError = try #require((try badPage.json()["detail"] as? [[String: Any]])?.first)
            #expect(fieldError["loc"] as? [String] == ["query", "limit"])
            #expect(fieldError["type"] as? String == "value_error")

            // Accounts: an id and a full name; an existing username is a 400; a malformed login a 422.
            let username = "compat-\(UUID().uuidString.prefix(8).lowercased())"
            let account: [String: Any] = [
                "username": username, "password": "compat-password", "email": "\(username)@example.org", "full_name": "Compat Client",
            ]
            let created = try await auth("POST", "api/v1/auth/users", account, token: admin)
            #expect(created.status == 201)
            #expect(try created.json()["id"] as? Int != nil)
            #expect(try created.json()["full_name"] as? String == "Compat Client")
            #expect(try await auth("POST", "api/v1/auth/users", account, token: admin).status == 400)
            #expect(try await auth("POST", "api/v1/auth/login", ["username": "ab", "password": "whatever"]).status == 422)

            // Job lists under `items`, filtered by `job_type` in either naming.
            for (role, theirs, ours) in [("data", "preprocessing", "preprocess"), ("train", "training", "train")] {
                let page = try await client.request("GET", "api/v1/\(role)/jobs?job_type=\(theirs)&limit=20", token: admin)
                #expect(page.status == 200)
                let items = try #require(try page.json()["items"] as? [[String: Any]])
                #expect(items.allSatisfy { $0["job_type"] as? String == ours })
                let ourNames = try await client.request("GET", "api/v1/\(role)/jobs?job_type=\(ours)&limit=20", token: admin)
                #expect(try page.json()["total"] as? Int == ourNames.json()["total"] as? Int)
            }
        }

        /// Item 5: signing out with only the access token. The process that signed it out refuses it
        /// at once; every other one (other roles, other auth replicas) within its next poll of the
        /// revocations, two seconds apart.
        @Test func logoutWithOnlyTheAccessToken() async throws {
            let token = try await session.token("admin", adminPassword)
            #expect(try await client.request("GET", "api/v1/data/jobs?limit=1", token: token).status == 200)
            #expect(try await auth("POST", "api/v1/auth/logout", token: token).status == 204)
            for path in ["api/v1/auth/me", "api/v1/data/jobs?limit=1"] {
                let started = ContinuousClock.now
                var status = 200
                while status != 401, ContinuousClock.now - started < .seconds(15) {
                    status = try await auth("GET", path, token: token).status
                    if status != 401 { try await Task.sleep(for: .milliseconds(100)) }
                }
                #expect(status == 401, "\(path) still accepts a signed-out token after 15 s")
            }
        }

        /// Items 6 and 7: refresh throttling per account; password reset that tells nobody which
        /// accounts exist (outside debug mode the token goes to the delivery, not the answer).
        @Test func refreshThrottlingAndPasswordReset() async throws {
            let admin = try await session.token("admin", adminPassword)
            let (username, password) = try await newAccount("refresh", admin: admin)
            var refresh = try #require(
                try await auth("POST", "api/v1/auth/login", ["username": username, "password": password]).json()["refresh_token"] as? String)
            var throttled: HTTPTestClient.Reply?
            for _ in 0..<40 where throttled == nil {
                let reply = try await auth("POST", "api/v1/auth/refresh", ["refresh_token": refresh])
                if reply.status == 429 { throttled = reply } else { refresh = try #require(try reply.json()["refresh_token"] as? String) }
            }
            let limited = try #require(throttled, "40 refreshes within a minute were never refused")
            #expect((try limited.json()["error"] as? [String: Any])?["code"] as? String == "too_many_refreshes")
            #expect(limited.headers["retry-after"] != nil)

            let known = try await auth("POST", "api/v1/auth/forgot-password", ["username": username])
            let unknown = try await auth("POST", "api/v1/auth/forgot-password", ["username": "nobody-\(UUID().uuidString.prefix(8))"])
            #expect(known.status == 200)
            #expect(unknown.status == 200)
            #expect(try known.json()["message"] as? String == unknown.json()["message"] as? String)
            #expect(try known.json()["reset_token"] == nil)
            let bogus = try await auth("POST", "api/v1/auth/reset-password", ["token": "not-a-token", "new_password": "a-new-password"])
            #expect(bogus.status == 400)
            #expect((try bogus.json()["detail"] as? String)?.isEmpty == false)
        }

        /// Items 8–10: jobs from `{}` on server-side defaults, the training configuration as a
        /// resource, refused file paths, and predictions that keep a 0/1 target's type.
        @Test func minimalBodiesTheTrainingConfigurationAndNumericLabels() async throws {
            let admin = try await session.token("admin", adminPassword)
            let experiment = "compat-\(UUID().uuidString.prefix(8).lowercased())"
            let previous = try await client.request("GET", "api/v1/train/config", token: admin).json()
            let configured = try await client.json(
                "PUT", "api/v1/train/config",
                ["model_types": ["logistic_regression", "decision_tree"], "experiment_name": experiment, "metric": ["classification": "f1"]], token: admin)
            #expect(configured.status == 200, "\(String(decoding: configured.body, as: UTF8.self))")
            let version = try #require(try configured.json()["version"] as? Int)
            #expect(version > previous["version"] as? Int ?? -1)

            // A 0/1 target ("heavy") on penguins; a column of this run's own makes the bytes new.
            let penguins = try String(contentsOf: Edge.dataset("penguins.csv"), encoding: .utf8).split(separator: "\n")
            let header = try #require(penguins.first)
            let massIndex = try #require(header.split(separator: ",", omittingEmptySubsequences: false).firstIndex(of: "body_mass_g"))
            let rows = penguins.dropFirst().map { line -> String in
                let mass = Double(line.split(separator: ",", omittingEmptySubsequences: false)[massIndex]) ?? 0
                return "\(line),\(mass > 4000 ? 1 : 0),\(experiment)"
            }
            let csv = ([header + ",heavy,run"] + rows).joined(separator: "\n") + "\n"
            let upload = try await client.request(
                "POST", "api/v1/data/datasets?name=\(experiment)", body: Data(csv.utf8), contentType: "text/csv", token: admin)
            #expect(upload.status == 201, "\(String(decoding: upload.body, as: UTF8.self))")
            let dataset = try #require(try upload.json()["id"] as? String)

            let refused = try await client.json("POST", "api/v1/data/preprocess", ["raw_data_path": "data/raw/penguins.csv"], token: admin)
            #expect(refused.status == 422)
            #expect(((try refused.json()["detail"] as? [[String: Any]])?.first?["loc"] as? [String])?.last == "raw_data_path")

            let first = try await session.finished(
                try await client.json("POST", "api/v1/data/preprocess", ["target": "heavy", "drop": ["body_mass_g", "run"]], token: admin),
                role: "data", admin: admin)
            #expect(first["status"] as? String == "completed", "\(first)")
            #expect((first["params"] as? [String: Any])?["dataset_id"] as? String == dataset, "the most recent upload")
            // `{}`: the same dataset and the target it was last preprocessed with.
            let again = try await session.finished(try await client.json("POST", "api/v1/data/preprocess", [:], token: admin), role: "data", admin: admin)
            #expect(again["status"] as? String == "completed", "\(again)")
            #expect((again["params"] as? [String: Any])?["target"] as? String == "heavy")
            let features = try await session.finished(
                try await client.json("POST", "api/v1/data/build-features", [:], token: admin), role: "data", admin: admin)
            #expect(features["status"] as? String == "completed", "\(features)")
            let featuresVersion = try #require((features["result"] as? [String: Any])?["version"] as? String)

            let pathRefused = try await client.json("POST", "api/v1/train", ["config_path": "config/config.yaml"], token: admin)
            #expect(pathRefused.status == 422)
            let trained = try await session.finished(try await client.json("POST", "api/v1/train", [:], token: admin), role: "train", admin: admin)
            #expect(trained["status"] as? String == "completed", "\(trained)")
            let params = try #require(trained["params"] as? [String: Any])
            #expect(params["features_version"] as? String == featuresVersion, "the most recent feature set")
            #expect(params["configuration_version"] as? Int == version)
            #expect(params["model_types"] as? [String] == ["logistic_regression", "decision_tree"])
            let aliased = try await client.json("POST", "api/v1/train", ["models": ["decision_tree"], "grid_search": false], token: admin)
            #expect(aliased.status == 202)
            _ = try await session.finished(aliased, role: "train", admin: admin)

            let promoted = try await client.json("POST", "api/v1/train/fetch-best-model", ["experiment_name": experiment], token: admin)
            #expect(promoted.status == 200, "\(String(decoding: promoted.body, as: UTF8.self))")
            let champion = try #require((try promoted.json()["champion"] as? [String: Any])?["model_name"] as? String)
            // The `{}` preprocessing kept every column but the target.
            let record: [String: Any] = [
                "species": "Gentoo", "island": "Biscoe", "bill_length_mm": 47.5, "bill_depth_mm": 15.0, "flipper_length_mm": 218, "sex": "male",
                "year": 2008, "body_mass_g": 5200, "run": experiment,
            ]
            var prediction = try await client.json("POST", "api/v1/predict", ["features": record], token: admin)
            for _ in 0..<100 where prediction.status == 503 || (try? prediction.json()["model_name"] as? String) != champion {
                try await Task.sleep(for: .milliseconds(200))
                prediction = try await client.json("POST", "api/v1/predict", ["features": record], token: admin)
            }
            #expect(prediction.status == 200, "\(String(decoding: prediction.body, as: UTF8.self))")
            let answer = try prediction.json()
            #expect(answer["prediction"] is NSNumber, "a 0/1 target answers with a JSON number: \(answer)")
            #expect([0, 1].contains(answer["prediction"] as? Int ?? -1))
            #expect((answer["model_type"] as? String).map { ["logistic_regression", "decision_tree"].contains($0) } == true)

            // Leave the defaults as they were for the suites after this one.
            var restored = previous
            for key in ["version", "updated_at", "updated_by"] { restored.removeValue(forKey: key) }
            #expect(try await client.json("PUT", "api/v1/train/config", restored, token: admin).status == 200)
        }
    }
}
