import Foundation
import Kernel
import Testing

/// `mlopsd client` as users run it: the real binary against a live `serve --role all`, with its
/// own credentials directory, output read from its pipes (so never a terminal).
@Suite(.serialized) struct ClientCommandTests {
    static let environment = [
        "JWT_SECRET_KEY": "client-test-secret-0123456789abcdefghijkl",
        "ADMIN_PASSWORD": "client-admin-password",
        "MLOPSD_BCRYPT_COST": "12",
        "MLOPSD_PREDICT_RELOAD_MS": "100",
    ]

    static let datasets = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("../shared/datasets").standardized

    struct Client {
        let server: LiveServer
        let configDirectory: URL

        init(server: LiveServer) throws {
            self.server = server
            // Outside the server's directory, which goes when the server is stopped.
            configDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("mlopsd-client-\(UUID().uuidString)")
        }

        func removeFiles() {
            try? FileManager.default.removeItem(at: configDirectory)
        }

        var credentials: URL { configDirectory.appendingPathComponent("credentials.json") }

        @discardableResult
        func run(_ arguments: [String], input: String? = nil) async throws -> Binary.Outcome {
            try await Binary.run(
                ["client"] + arguments,
                environment: ["MLOPSD_URL": server.baseURL.absoluteString, "MLOPSD_CONFIG_DIR": configDirectory.path],
                directory: FileManager.default.temporaryDirectory, input: input
            )
        }

        func json(_ arguments: [String]) async throws -> JSONValue {
            let outcome = try await run(arguments + ["--json"])
            #expect(outcome.status == 0, "\(arguments): \(outcome.errors)")
            return try JSONValue(jsonString: outcome.output)
        }

        func storedSession() throws -> [String: JSONValue] {
            let text = try String(contentsOf: credentials, encoding: .utf8)
            guard case .object(let session)? = try JSONValue(jsonString: text)["servers"]?[server.baseURL.absoluteString] else { return [:] }
            return session
        }

        func rewriteSession(_ change: (inout [String: JSONValue]) -> Void) throws {
            var session = try storedSession()
            change(&session)
            let document: JSONValue = ["servers": .object([server.baseURL.absoluteString: .object(session)])]
            try Data(document.jsonString().utf8).write(to: credentials)
        }
    }

    /// No escape sequences, carriage returns or other control characters when not on a terminal.
    static func isPlain(_ text: String) -> Bool {
        text.unicodeScalars.allSatisfy { $0 == "\n" || ($0.value >= 0x20 && $0.value != 0x7F) }
    }

    @Test func wholePathWithWaitingAndJSONOutput() async throws {
        let server = try await LiveServer(role: "all", environment: Self.environment)
        defer { _ = server.stop() }
        let client = try Client(server: server)
        defer { client.removeFiles() }

        let login = try await client.run(["login", "--username", "admin"], input: "client-admin-password\n")
        #expect(login.status == 0, "\(login.errors)")
        let permissions = try FileManager.default.attributesOfItem(atPath: client.credentials.path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
        #expect(try await client.run(["whoami"]).output.hasPrefix("admin (admin)"))

        let dataset = try await client.json(["datasets", "upload", Self.datasets.appendingPathComponent("penguins.csv").path])
        let datasetID = try #require(dataset["id"]?.stringValue)
        let processed = try await client.json(["preprocess", "--dataset", datasetID, "--target", "species", "--wait"])
        #expect(processed["status"] == "completed")
        let processedVersion = try #require(processed["result"]?["version"]?.stringValue)
        let features = try await client.json(["features", "--version", processedVersion, "--wait"])
        let featuresVersion = try #require(features["result"]?["version"]?.stringValue)

        let training = try await client.run([
            "train", "--features", featuresVersion, "--models", "logistic_regression,decision_tree", "--metric", "accuracy",
            "--experiment", "penguins", "--wait",
        ])
        #expect(training.status == 0, "\(training.errors)")
        #expect(training.output.contains("logistic_regression") && training.output.contains("decision_tree"), "\(training.output)")
        #expect(training.errors.contains("train completed"), "\(training.errors)")
        #expect(Self.isPlain(training.output) && Self.isPlain(training.errors))

        let promoted = try await client.json(["promote", "--metric", "accuracy"])
        let champion = try #require(promoted["champion"]?["model_name"]?.stringValue)
        let models = try await client.run(["models"]).output.split(separator: "\n")
        #expect(models.contains { $0.hasPrefix("*") && $0.contains(champion) }, "\(models)")

        let record: JSONValue = [
            "island": "Biscoe", "bill_length_mm": 48.6, "bill_depth_mm": 16.0, "flipper_length_mm": 230.0,
            "body_mass_g": 5800.0, "sex": "male", "year": 2009,
        ]
        let input = server.directory.appendingPathComponent("record.json")
        try Data(record.jsonString().utf8).write(to: input)
        var prediction = try await client.run(["predict", "--input", input.path, "--json"])
        for _ in 0..<100 where prediction.status != 0 {
            try await Task.sleep(for: .milliseconds(100))  // the champion is picked up within a poll
            prediction = try await client.run(["predict", "--input", input.path, "--json"])
        }
        #expect(prediction.status == 0, "\(prediction.errors)")
        #expect(try JSONValue(jsonString: prediction.output)["prediction"] == "Gentoo")

        let csv = server.directory.appendingPathComponent("records.csv")
        try Data(
            "island,bill_length_mm,bill_depth_mm,flipper_length_mm,body_mass_g,sex,year\nBiscoe,48.6,16.0,230,5800,male,2009\nTorgersen,39.1,18.7,181,3750,male,2007\n"
                .utf8
        ).write(to: csv)
        let batch = try await client.run(["predict", "--input", csv.path])
        #expect(batch.status == 0, "\(batch.errors)")
        #expect(batch.output.contains("Gentoo") && batch.output.contains("Adelie") && batch.output.contains("2 predicted"), "\(batch.output)")

        #expect(try await client.run(["logout"]).status == 0)
        let after = try await client.run(["whoami"])
        #expect(after.status == 3)
        #expect(after.errors.contains("not logged in"))
    }

    /// `client models pin`, `client canary`, `client drift`, `client feedback` and
    /// `client performance` against a live server.
    @Test func servingCommandsPinCanaryDriftAndFeedback() async throws {
        let server = try await LiveServer(role: "all", environment: Self.environment)
        defer { _ = server.stop() }
        let client = try Client(server: server)
        defer { client.removeFiles() }
        #expect(try await client.run(["login", "--username", "admin"], input: "client-admin-password\n").status == 0)
        let dataset = try await client.json(["datasets", "upload", Self.datasets.appendingPathComponent("penguins.csv").path])
        let processed = try await client.json(["preprocess", "--dataset", try #require(dataset["id"]?.stringValue), "--target", "species", "--wait"])
        let features = try await client.json(["features", "--version", try #require(processed["result"]?["version"]?.stringValue), "--wait"])
        let trained = try await client.run([
            "train", "--features", try #require(features["result"]?["version"]?.stringValue), "--models", "logistic_regression,decision_tree",
            "--experiment", "penguins", "--wait",
        ])
        #expect(trained.status == 0, "\(trained.errors)")
        #expect(try await client.run(["promote", "--model-type", "logistic_regression"]).status == 0)

        let pinned = try await client.run(["models", "pin", "penguins-decision_tree"])
        #expect(pinned.status == 0, "\(pinned.errors)")
        #expect(pinned.output.split(separator: "\n").contains { $0.hasPrefix("pinned") && $0.contains("penguins-decision_tree") }, "\(pinned.output)")
        let unknown = try await client.run(["models", "pin", "penguins-nothing"])
        #expect(unknown.status != 0)
        #expect(unknown.errors.contains("not registered") || unknown.errors.contains("No registered model"), "\(unknown.errors)")

        let canary = try await client.run(["canary", "set", "penguins-decision_tree", "--share", "0.5"])
        #expect(canary.status == 0, "\(canary.errors)")
        #expect(try await client.run(["canary"]).output.contains("canary 50"), "the default subcommand shows the plan")
        #expect(try await client.run(["canary", "set", "penguins-decision_tree"]).status != 0, "--share or --shadow is required")

        let record: JSONValue = [
            "island": "Biscoe", "bill_length_mm": 48.6, "bill_depth_mm": 16.0, "flipper_length_mm": 230.0,
            "body_mass_g": 5800.0, "sex": "male", "year": 2009,
        ]
        let input = server.directory.appendingPathComponent("record.json")
        try Data(record.jsonString().utf8).write(to: input)
        var prediction = try await client.run(["predict", "--input", input.path, "--json"])
        for _ in 0..<100 where prediction.status != 0 {
            try await Task.sleep(for: .milliseconds(100))
            prediction = try await client.run(["predict", "--input", input.path, "--json"])
        }
        let answer = try JSONValue(jsonString: prediction.output)
        #expect(["champion", "challenger"].contains(answer["arm"]?.stringValue ?? ""), "\(answer)")
        let id = try #require(answer["prediction_id"]?.stringValue)
        let feedback = try await client.run(["feedback", id, "--label", "Gentoo"])
        #expect(feedback.status == 0, "\(feedback.errors)")
        #expect(feedback.output.contains("recorded 1"))
        let performance = try await client.run(["performance"])
        #expect(performance.output.contains("accuracy"), "\(performance.output)")
        let drift = try await client.run(["drift"])
        #expect(drift.status == 0, "\(drift.errors)")
        #expect(drift.output.contains("penguins-logistic_regression") && drift.output.contains("bill_length_mm"), "\(drift.output)")

        let promoted = try await client.run(["canary", "promote"])
        #expect(promoted.status == 0, "\(promoted.errors)")
        #expect(promoted.output.contains("champion: penguins-decision_tree"), "\(promoted.output)")
        let unpinned = try await client.json(["models", "unpin", "penguins-decision_tree"])
        #expect(unpinned["pinned"] == [])
        #expect(unpinned["champion"]?["model_name"] == "penguins-decision_tree")
    }

    @Test func tokensAreRefreshedBeforeExpiryAndAfterA401() async throws {
        let server = try await LiveServer(role: "auth", environment: Self.environment)
        defer { _ = server.stop() }
        let client = try Client(server: server)
        defer { client.removeFiles() }
        #expect(try await client.run(["login"], input: "client-admin-password\n").status == 0)
        let first = try client.storedSession()

        // Expired (as far as the client knows): refreshed before the request.
        try client.rewriteSession { $0["access_expires_at"] = .number(Date().timeIntervalSince1970 - 60) }
        #expect(try await client.run(["whoami"]).status == 0)
        let second = try client.storedSession()
        #expect(second["access_token"] != first["access_token"])
        #expect(second["refresh_token"] != first["refresh_token"], "refresh tokens rotate")

        // Refused by the server although not expired: refreshed once, then retried.
        try client.rewriteSession { $0["access_token"] = "not-a-token" }
        #expect(try await client.run(["whoami"]).status == 0)
        #expect(try client.storedSession()["access_token"] != "not-a-token")

        // Nothing left to refresh with: exit 3 with a way out, and the dead session is forgotten.
        try client.rewriteSession {
            $0["access_token"] = "not-a-token"; $0["refresh_token"] = "not-a-token-either"
        }
        let ended = try await client.run(["whoami"])
        #expect(ended.status == 3)
        #expect(ended.errors.contains("mlopsd client login"), "\(ended.errors)")
    }

    @Test func failuresHaveTheirExitStatus() async throws {
        let server = try await LiveServer(role: "all", environment: Self.environment)
        defer { _ = server.stop() }
        let client = try Client(server: server)
        defer { client.removeFiles() }

        let wrong = try await client.run(["login"], input: "not-the-password\n")
        #expect(wrong.status == 3)
        #expect(wrong.errors.contains("Incorrect username or password"), "\(wrong.errors)")
        #expect(try await client.run(["whoami", "--no-such-flag"]).status == 2)
        #expect(try await client.run(["login"], input: "client-admin-password\n").status == 0)

        // Valid as a request, too few rows to split: the job fails.
        let tiny = server.directory.appendingPathComponent("tiny.csv")
        try Data("x,label\n1,a\n2,b\n3,a\n".utf8).write(to: tiny)
        let dataset = try await client.json(["datasets", "upload", tiny.path])
        let failed = try await client.run(["preprocess", "--dataset", dataset["id"]?.stringValue ?? "", "--target", "label", "--wait"])
        #expect(failed.status == 1)
        #expect(failed.errors.contains("failed"), "\(failed.errors)")
        #expect(Self.isPlain(failed.errors))

        let invalid = try await client.run(["preprocess", "--dataset", dataset["id"]?.stringValue ?? "", "--target", "nope"])
        #expect(invalid.status == 1)
        #expect(invalid.errors.contains("target"), "\(invalid.errors)")

        _ = server.stop()
        let down = try await client.run(["whoami"])
        #expect(down.status == 3)
        #expect(down.errors.contains("cannot reach"), "\(down.errors)")
    }
}
