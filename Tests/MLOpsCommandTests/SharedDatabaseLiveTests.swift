import Foundation
import Kernel
import MLOpsTesting
import Testing

/// Replicas of the same role as separate `mlopsd serve` processes on one PostgreSQL database
/// (MLOPSD_DATABASE_URL) and one data and models directory, as in Kubernetes.
@Suite(.serialized, .enabled(if: StoreBackend.databaseURL != nil, "set MLOPSD_TEST_DATABASE_URL to run replicas on PostgreSQL"))
struct SharedDatabaseLiveTests {
    /// Volumes the replicas share; each process still gets a state directory of its own.
    func environment(database: String, shared: URL) -> [String: String] {
        LiveServerTests.environment.merging([
            "MLOPSD_DATABASE_URL": database,
            "MLOPSD_DATA_DIR": shared.appendingPathComponent("data").path,
            "MLOPSD_MODELS_DIR": shared.appendingPathComponent("models").path,
            "MLOPSD_JOB_LEASE_SECONDS": "3",
        ]) { _, new in new }
    }

    /// A fresh database and a fresh directory for the volumes the replicas share, both removed
    /// afterwards.
    func withReplicaVolumes(_ body: (_ database: String, _ shared: URL) async throws -> Void) async throws {
        try await StoreBackend.withFreshDatabase { database in
            let shared = FileManager.default.temporaryDirectory.appendingPathComponent("replicas-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: shared) }
            try await body(database, shared)
        }
    }

    func token(_ server: LiveServer) async throws -> (access: String, refresh: String) {
        let reply = try await server.json("POST", "api/v1/auth/login", ["username": "admin", "password": "live-admin-password"]).json()
        return (try #require(reply["access_token"] as? String), try #require(reply["refresh_token"] as? String))
    }

    /// Uploads penguins.csv and preprocesses it: the processed version's id.
    func processedPenguins(_ data: LiveServer, token: String) async throws -> String {
        let penguins = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("../shared/datasets/penguins.csv").standardized
        let upload = try await data.request(
            "POST", "api/v1/data/datasets?name=penguins", body: try Data(contentsOf: penguins), contentType: "text/csv", token: token)
        let dataset = try #require(try upload.json()["id"] as? String)
        let processed = try await data.client.finished(
            try await data.json("POST", "api/v1/data/preprocess", ["dataset_id": dataset, "target": "species"], token: token),
            role: "data", token: token, every: .milliseconds(50)
        )
        return try #require((processed["result"] as? [String: Any])?["version"] as? String)
    }

    @Test func authReplicasShareAccountsAndRefreshTokens() async throws {
        try await withReplicaVolumes { database, shared in
            let first = try await LiveServer(role: "auth", environment: environment(database: database, shared: shared))
            defer { _ = first.stop() }
            let second = try await LiveServer(role: "auth", environment: environment(database: database, shared: shared))
            defer { _ = second.stop() }

            let admin = try await token(first)
            let created = try await first.json(
                "POST", "api/v1/auth/users", ["username": "gus", "password": "gus-password-1", "email": "gus@example.org"], token: admin.access
            )
            #expect(created.status == 201)
            #expect(try await second.json("POST", "api/v1/auth/login", ["username": "gus", "password": "gus-password-1"]).status == 200)

            // Issued by one replica, rotated at the other; the spent token replayed anywhere
            // ends the whole session.
            let rotated = try await second.json("POST", "api/v1/auth/refresh", ["refresh_token": admin.refresh])
            #expect(rotated.status == 200, "\(String(decoding: rotated.body, as: UTF8.self))")
            let next = try #require(try rotated.json()["refresh_token"] as? String)
            #expect(try await first.json("POST", "api/v1/auth/refresh", ["refresh_token": admin.refresh]).status == 401)
            #expect(try await second.json("POST", "api/v1/auth/refresh", ["refresh_token": next]).status == 401)
            #expect(try await second.request("GET", "ready").status == 200)
        }
    }

    /// Failed logins counted by one auth replica count at the other, per username and client
    /// address (`X-Real-IP`, as nginx sets it, is believed from loopback).
    @Test func loginThrottlingHoldsAcrossReplicas() async throws {
        try await withReplicaVolumes { database, shared in
            let settings = environment(database: database, shared: shared).merging(["MLOPSD_LOGIN_MAX_FAILURES": "4"]) { _, new in new }
            let first = try await LiveServer(role: "auth", environment: settings)
            defer { _ = first.stop() }
            let second = try await LiveServer(role: "auth", environment: settings)
            defer { _ = second.stop() }

            func login(_ server: LiveServer, password: String, from address: String) async throws -> Int {
                let body = try JSONSerialization.data(withJSONObject: ["username": "admin", "password": password])
                return try await server.client.request(
                    "POST", "api/v1/auth/login", body: body, contentType: "application/json", headers: ["X-Real-IP": address]
                ).status
            }
            for server in [first, second, first, second] {
                #expect(try await login(server, password: "wrong", from: "203.0.113.7") == 401)
            }
            #expect(try await login(first, password: "live-admin-password", from: "203.0.113.7") == 429)
            #expect(try await login(second, password: "live-admin-password", from: "203.0.113.7") == 429)
            // The owner, elsewhere, is not locked out by a stranger's failures.
            #expect(try await login(second, password: "live-admin-password", from: "198.51.100.20") == 200)
        }
    }

    /// A train replica killed in the middle of a job: the other takes the job over once the
    /// lease has run out, and it completes once, registered once.
    @Test func aTrainJobOutlivesTheReplicaRunningIt() async throws {
        try await withReplicaVolumes { database, shared in
            let settings = environment(database: database, shared: shared)
            let auth = try await LiveServer(role: "auth", environment: settings)
            defer { _ = auth.stop() }
            let data = try await LiveServer(role: "data", environment: settings)
            defer { _ = data.stop() }
            let admin = try await token(auth).access

            let version = try await processedPenguins(data, token: admin)

            let doomed = try await LiveServer(role: "train", environment: settings)
            let accepted = try await doomed.json(
                "POST", "api/v1/train",
                [
                    "processed_version": version, "model_types": ["random_forest"], "experiment_name": "replicas",
                    "hyperparameters": ["random_forest": ["n_estimators": 400]],
                ], token: admin)
            #expect(accepted.status == 202)
            let jobID = try #require(try accepted.json()["job_id"] as? String)
            var status = ""
            while status != "running" {
                status = try await doomed.request("GET", "api/v1/train/status/\(jobID)", token: admin).json()["status"] as? String ?? "?"
                #expect(status == "pending" || status == "running")
                if status != "pending" && status != "running" { return }
            }
            let survivor = try await LiveServer(role: "train", environment: settings)
            defer { _ = survivor.stop() }
            let killed = ContinuousClock.now
            doomed.kill()

            let job = try await survivor.client.finished(
                HTTPTestClient.Reply(status: 202, headers: ["location": "/api/v1/train/status/\(jobID)"], body: Data(#"{"job_id":"\#(jobID)"}"#.utf8)),
                role: "train", token: admin, every: .milliseconds(100)
            )
            print("replicas: job \(jobID) completed on the surviving replica \(ContinuousClock.now - killed) after the kill")
            #expect(job["status"] as? String == "completed", "\(job)")
            let models = try await survivor.request("GET", "api/v1/train/models", token: admin).json()
            let versions = (models["models"] as? [[String: Any]] ?? []).flatMap { $0["versions"] as? [[String: Any]] ?? [] }
            let registered = versions.filter { ($0["job_id"] as? String) == jobID }
            #expect(registered.count == 1, "one registered version for the job: \(models)")
        }
    }

    /// Two predict replicas with no shared file system (each its own models directory) and a
    /// poll too slow to matter: each promotion reaches both through the database's notification.
    @Test func promotionReachesEveryPredictReplicaWithinASecond() async throws {
        try await withReplicaVolumes { database, shared in
            let settings = environment(database: database, shared: shared)
            let auth = try await LiveServer(role: "auth", environment: settings)
            defer { _ = auth.stop() }
            let data = try await LiveServer(role: "data", environment: settings)
            defer { _ = data.stop() }
            let train = try await LiveServer(role: "train", environment: settings)
            defer { _ = train.stop() }
            var predictors: [LiveServer] = []
            for replica in 0..<2 {
                predictors.append(
                    try await LiveServer(
                        role: "predict",
                        environment: settings.merging([
                            "MLOPSD_MODELS_DIR": shared.appendingPathComponent("predict-\(replica)").path,
                            "MLOPSD_PREDICT_RELOAD_MS": "600000",
                        ]) { _, new in new }))
            }
            defer { for predictor in predictors { _ = predictor.stop() } }
            let admin = try await token(auth).access

            let version = try await processedPenguins(data, token: admin)
            let trained = try await train.client.finished(
                try await train.json(
                    "POST", "api/v1/train",
                    [
                        "processed_version": version, "model_types": ["logistic_regression", "decision_tree"], "experiment_name": "push",
                    ], token: admin),
                role: "train", token: admin, every: .milliseconds(100)
            )
            #expect(trained["status"] as? String == "completed", "\(trained)")

            for modelType in ["logistic_regression", "decision_tree"] {
                let promoted = try await train.json("POST", "api/v1/train/fetch-best-model", ["metric": "accuracy", "model_type": modelType], token: admin)
                #expect(promoted.status == 200, "\(String(decoding: promoted.body, as: UTF8.self))")
                let champion = try #require(try promoted.json()["champion"] as? [String: Any])
                let wanted = try #require(champion["version"] as? String)
                let promotedAt = ContinuousClock.now
                for (replica, predictor) in predictors.enumerated() {
                    while ContinuousClock.now - promotedAt < .seconds(1) {
                        let models = try await predictor.request("GET", "api/v1/predict/models", token: admin).json()
                        if ((models["models"] as? [[String: Any]])?.first?["version"] as? String) == wanted { break }
                        try await Task.sleep(for: .milliseconds(10))
                    }
                    let models = try await predictor.request("GET", "api/v1/predict/models", token: admin).json()
                    let served = (models["models"] as? [[String: Any]])?.first?["version"] as? String
                    #expect(served == wanted, "replica \(replica) serves \(served ?? "nothing") 1 s after \(modelType) was promoted")
                }
                print("replicas: \(modelType) promoted; both predict replicas serve it \(ContinuousClock.now - promotedAt) later")
            }
        }
    }

    /// A deployment that ran on SQLite moves into PostgreSQL with `mlopsd db migrate-to-postgres`:
    /// a second run copies nothing, and a process on the database serves the same accounts,
    /// datasets, registry and champion.
    @Test func aSQLiteDeploymentMovesIntoPostgres() async throws {
        try await withReplicaVolumes { database, shared in
            let volumes = environment(database: database, shared: shared).filter { $0.key != "MLOPSD_DATABASE_URL" }
            let embedded = try await LiveServer(role: "all", environment: volumes)
            let admin = try await token(embedded).access
            let created = try await embedded.json(
                "POST", "api/v1/auth/users", ["username": "hana", "password": "hana-password-1", "email": "hana@example.org"], token: admin
            )
            #expect(created.status == 201)
            let version = try await processedPenguins(embedded, token: admin)
            let trained = try await embedded.client.finished(
                try await embedded.json(
                    "POST", "api/v1/train",
                    [
                        "processed_version": version, "model_types": ["logistic_regression"], "experiment_name": "moving",
                    ], token: admin),
                role: "train", token: admin, every: .milliseconds(100)
            )
            #expect(trained["status"] as? String == "completed", "\(trained)")
            let promoted = try await embedded.json("POST", "api/v1/train/fetch-best-model", ["metric": "accuracy"], token: admin)
            let champion = try #require((try promoted.json()["champion"] as? [String: Any])?["version"] as? String)
            #expect(embedded.stop(removingFiles: false) == 0)
            defer { try? FileManager.default.removeItem(at: embedded.directory) }

            let move = volumes.merging([
                "MLOPSD_DATABASE_URL": database, "MLOPSD_STATE_DIR": embedded.directory.appendingPathComponent("state").path,
            ]) { _, new in new }
            let first = try await Binary.run(["db", "migrate-to-postgres"], environment: move, directory: shared)
            #expect(first.status == 0, "\(first.errors)")
            for line in [
                "users                    2 rows, 2 copied", "datasets                 1 rows, 1 copied",
                "tracking_runs            1 rows, 1 copied", "model_versions           1 rows, 1 copied",
            ] {
                #expect(first.output.contains(line), "\(first.output)")
            }
            #expect(first.output.contains("champion: moving-logistic_regression version \(champion) copied"), "\(first.output)")
            let again = try await Binary.run(["db", "migrate-to-postgres"], environment: move, directory: shared)
            #expect(again.status == 0, "\(again.errors)")
            #expect(again.output.components(separatedBy: "\n").filter { $0.contains(" rows, ") && !$0.hasSuffix(" 0 copied") }.isEmpty, "\(again.output)")
            #expect(again.output.contains("already current"), "\(again.output)")

            let replica = try await LiveServer(role: "all", environment: environment(database: database, shared: shared))
            defer { _ = replica.stop() }
            #expect(try await replica.json("POST", "api/v1/auth/login", ["username": "hana", "password": "hana-password-1"]).status == 200)
            let datasets = try await replica.request("GET", "api/v1/data/datasets", token: admin).json()
            #expect((datasets["datasets"] as? [[String: Any]])?.count == 1, "\(datasets)")
            let models = try await replica.request("GET", "api/v1/train/models", token: admin).json()
            #expect((models["champion"] as? [String: Any])?["version"] as? String == champion, "\(models)")
            let record: [String: Any] = [
                "island": "Biscoe", "bill_length_mm": 48.6, "bill_depth_mm": 16.0, "flipper_length_mm": 230.0,
                "body_mass_g": 5800.0, "sex": "male", "year": 2009,
            ]
            let prediction = try await replica.json("POST", "api/v1/predict", ["features": record], token: admin)
            #expect(prediction.status == 200, "\(String(decoding: prediction.body, as: UTF8.self))")
            #expect(try prediction.json()["model_version"] as? String == champion)
        }
    }
}
