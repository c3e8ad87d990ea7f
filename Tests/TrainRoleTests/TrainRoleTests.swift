import DataRole
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Kernel
import MLCore
import MLOpsTesting
import Testing
import TrainRole

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Data and train roles side by side, as in `--role all`: data versions are made through the
/// data role's API and trained on through the train role's.
struct TrainHarness {
    let environment: TestEnvironment
    let modules: [RoleModule]
    let admin: String

    init(overrides: [String: String] = [:]) async throws {
        environment = try await TestEnvironment(role: .all, overrides: overrides)
        modules = [try await DataRole.module(environment: environment.kernel), try await TrainRole.module(environment: environment.kernel)]
        admin = try await environment.token(for: "admin", role: .admin)
    }

    var modelsDirectory: URL { URL(fileURLWithPath: environment.settings.modelsDirectory) }

    @discardableResult
    func run<Value: Sendable>(_ test: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        try await buildApplication(environment: environment.kernel, modules: modules).test(.router, test)
    }
}

extension TestClientProtocol {
    func finishedJob(_ response: TestResponse, role: String, token: String) async throws -> JSONValue {
        #expect(response.status == .accepted, "\(String(buffer: response.body))")
        let id = try #require(try response.json()["job_id"]?.stringValue)
        for _ in 0..<6000 {
            let job = try await send(.get, "/api/v1/\(role)/status/\(id)", token: token).json()
            if let status = job["status"]?.stringValue, ["completed", "failed", "cancelled"].contains(status) { return job }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("job \(id) did not finish")
        return .null
    }

    /// Upload → preprocess → (optionally) build features; returns the version to train on.
    func dataVersion(csv: [UInt8], name: String, target: String, features: JSONValue?, token: String) async throws -> String {
        let upload = try await execute(
            uri: "/api/v1/data/datasets?name=\(name)", method: .post,
            headers: [.contentType: "text/csv", .authorization: "Bearer \(token)"], body: ByteBuffer(bytes: csv)
        )
        let dataset = try #require(try upload.json()["id"]?.stringValue)
        let preprocess = try await finishedJob(
            try await send(.post, "/api/v1/data/preprocess", json: ["dataset_id": .string(dataset), "target": .string(target)], token: token),
            role: "data", token: token
        )
        let processed = try #require(preprocess["result"]?["version"]?.stringValue)
        guard let features else { return processed }
        let built = try await finishedJob(
            try await send(.post, "/api/v1/data/build-features", json: ["processed_version": .string(processed), "options": features], token: token),
            role: "data", token: token
        )
        return try #require(built["result"]?["version"]?.stringValue)
    }
}

func isWellFormedXML(_ data: Data) -> Bool {
    XMLParser(data: data).parse()
}

@Suite struct TrainRoleTests {
    static let penguins = try! Array(
        Data(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
                .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("../shared/datasets/penguins.csv").standardized))

    /// What the dashboard's run page reads: the run's fields, its importances and plots, each plot
    /// downloadable as SVG; a plot the run does not have is a 404.
    func expectRunPage(_ client: any TestClientProtocol, runID: String, token: String) async throws {
        let run = try await client.send(.get, "/api/v1/train/runs/\(runID)", token: token).json()
        #expect(run["run_id"]?.stringValue == runID)
        #expect(run["status"] == "FINISHED")
        #expect(run["metrics"]?["accuracy"] != nil)
        #expect(run["tags"]?["model_type"] != nil)
        #expect((run["params"]?.objectValue?.count ?? 0) >= 3, "\(run)")
        #expect((run["feature_importance"]?.arrayCount ?? 0) > 0)
        let plots = (0..<(run["plots"]?.arrayCount ?? 0)).compactMap { run["plots"]?[$0]?.stringValue }
        #expect(plots.contains("confusion_matrix"), "\(plots)")
        #expect(!plots.contains("residuals"))
        for plot in plots {
            let answer = try await client.send(.get, "/api/v1/train/runs/\(runID)/plots/\(plot)", token: token)
            #expect(answer.status == .ok)
            #expect(answer.headers[.contentType] == "image/svg+xml")
            #expect(isWellFormedXML(Data(buffer: answer.body)))
        }
        #expect(try await client.send(.get, "/api/v1/train/runs/\(runID)/plots/residuals", token: token).status == .notFound)
        #expect(try await client.send(.get, "/api/v1/train/runs/\(runID)/plots/bogus", token: token).status == .notFound)
    }

    @Test func trainsComparesAndPromotesOnPenguins() async throws {
        let harness = try await TrainHarness()
        defer { harness.environment.removeFiles() }
        let models = harness.modelsDirectory
        try await harness.run { client in
            let features = try await client.dataVersion(
                csv: Self.penguins, name: "penguins", target: "species", features: ["encoding": "one_hot"], token: harness.admin)
            let job = try await client.finishedJob(
                try await client.send(
                    .post, "/api/v1/train",
                    json: [
                        "features_version": .string(features),
                        "model_types": ["logistic_regression", "random_forest", "gradient_boosting"],
                        "hyperparameters": ["random_forest": ["n_estimators": 30], "gradient_boosting": ["n_estimators": 40]],
                        "metric": "accuracy", "cv_folds": 3, "experiment_name": "penguins",
                    ], token: harness.admin), role: "train", token: harness.admin)
            #expect(job["status"] == "completed", "\(job)")
            let result = try #require(job["result"])
            #expect(result["metric"] == "accuracy")
            #expect(result["tracker"] == "embedded")
            #expect(result["tracking_errors"] == 0)
            let board = try #require(result["leaderboard"])
            #expect(board.arrayCount == 3)
            let accuracies = (0..<3).compactMap { board[$0]?["metrics"]?["accuracy"].flatMap { if case .number(let value) = $0 { value } else { nil } } }
            #expect(accuracies == accuracies.sorted(by: >))
            #expect((accuracies.first ?? 0) > 0.9)
            for index in 0..<3 {
                let entry = try #require(board[index])
                #expect(entry["version"] == "1")
                #expect(entry["cross_validation"]?["accuracy"] != nil)
                let bundleURL = models.appendingPathComponent(try #require(entry["bundle_path"]?.stringValue))
                let bundle = try ModelBundle.load(from: Data(contentsOf: bundleURL))
                let importances = try JSONValue(
                    jsonString: String(contentsOf: bundleURL.deletingLastPathComponent().appendingPathComponent("feature_importance.json"), encoding: .utf8))
                #expect(importances.arrayCount == bundle.pipeline.featureNames.count)
                #expect(bundle.classLabels == ["Adelie", "Chinstrap", "Gentoo"])
                #expect(bundle.pipeline.featureNames.contains("island=Biscoe"), "the feature set's pipeline is used")
                let plots = try #require(entry["plots"])
                #expect((plots.arrayCount ?? 0) >= 2)
                for plot in 0..<(plots.arrayCount ?? 0) {
                    let data = try Data(contentsOf: models.appendingPathComponent(try #require(plots[plot]?.stringValue)))
                    #expect(isWellFormedXML(data), "\(plots[plot] ?? "-") is not well-formed SVG")
                }
                try await expectRunPage(client, runID: try #require(entry["run_id"]?.stringValue), token: harness.admin)
            }
            #expect(try await client.send(.get, "/api/v1/train/runs/absent", token: harness.admin).status == .notFound)

            let listed = try await client.send(.get, "/api/v1/train/models", token: harness.admin).json()
            #expect(listed["models"]?.arrayCount == 3)
            #expect(listed["champion"] == nil || listed["champion"] == .null)
            let forest = try await client.send(.get, "/api/v1/train/metrics/random_forest", token: harness.admin)
            #expect(forest.status == .ok)
            #expect(try forest.json()["name"] == "penguins-random_forest")
            #expect(try await client.send(.get, "/api/v1/train/metrics/decision_tree", token: harness.admin).status == .notFound)

            let impossible = try await client.send(
                .post, "/api/v1/train/fetch-best-model",
                json: [
                    "metric": "accuracy", "min_metrics": ["accuracy": 1.01, "log_loss": 0.0001],
                ], token: harness.admin)
            #expect(impossible.status == .conflict)
            #expect(impossible.errorCode == "gates_not_met")
            #expect(try impossible.json()["error"]?["details"]?[0]?["field"] == "min_metrics.accuracy")
            #expect(!FileManager.default.fileExists(atPath: models.appendingPathComponent("champion.json").path))

            // A gate on a metric nobody reports used to be read as higher-is-better and wait forever.
            let unknownGate = try await client.send(
                .post, "/api/v1/train/fetch-best-model",
                json: [
                    "metric": "accuracy", "min_metrics": ["accuracy_top5": 0.9],
                ], token: harness.admin)
            #expect(unknownGate.status == .unprocessableContent)
            #expect(try unknownGate.json()["error"]?["details"]?[0]?["field"] == "min_metrics.accuracy_top5")

            let promoted = try await client.send(
                .post, "/api/v1/train/fetch-best-model",
                json: [
                    "metric": "accuracy", "min_metrics": ["accuracy": 0.9],
                ], token: harness.admin)
            #expect(promoted.status == .ok, "\(String(buffer: promoted.body))")
            let champion = try #require(try promoted.json()["champion"])
            #expect(champion["model_name"]?.stringValue == board[0]?["model_name"]?.stringValue)
            let pointer = try JSONValue(jsonString: String(contentsOf: models.appendingPathComponent("champion.json"), encoding: .utf8))
            #expect(pointer["run_id"] == champion["run_id"])
            let bundleData = try Data(contentsOf: models.appendingPathComponent(try #require(pointer["bundle_path"]?.stringValue)))
            #expect(DataVersion.digest(of: bundleData).md5 == pointer["bundle_md5"]?.stringValue)

            // Restricting to one model type moves the pointer to that type's best run.
            let linear = try await client.send(.post, "/api/v1/train/fetch-best-model", json: ["model_type": "logistic_regression"], token: harness.admin)
            #expect(linear.status == .ok)
            #expect(try linear.json()["champion"]?["model_type"] == "logistic_regression")
            #expect(try linear.json()["previous"]?["run_id"] == champion["run_id"])
            let after = try await client.send(.get, "/api/v1/train/models", token: harness.admin).json()
            #expect(after["champion"]?["model_type"] == "logistic_regression")
        }
    }

    @Test func regressionFromAProcessedSplitWithResidualPlots() async throws {
        let harness = try await TrainHarness()
        defer { harness.environment.removeFiles() }
        var csv = "size,rooms,city,price\n"
        var generator = SeededGenerator(seed: 3)
        for _ in 0..<300 {
            let size = Double.random(in: 30...200, using: &generator)
            let rooms = Int.random(in: 1...6, using: &generator)
            let city = ["north", "south", "east"].randomElement(using: &generator)!
            csv +=
                "\(size),\(rooms),\(city),\(size * 3000 + Double(rooms) * 5000 + (city == "north" ? 20000 : 0) + Double.random(in: -5000...5000, using: &generator))\n"
        }
        let data = Array(csv.utf8)
        try await harness.run { client in
            let processed = try await client.dataVersion(csv: data, name: "houses", target: "price", features: nil, token: harness.admin)
            let job = try await client.finishedJob(
                try await client.send(
                    .post, "/api/v1/train",
                    json: [
                        "processed_version": .string(processed), "model_types": ["linear_regression", "gradient_boosting"],
                    ], token: harness.admin), role: "train", token: harness.admin)
            #expect(job["status"] == "completed", "\(job)")
            #expect(job["result"]?["metric"] == "rmse")
            #expect(job["result"]?["best"] == "mlopsd-linear_regression")
            let plots = job["result"]?["leaderboard"]?[0]?["plots"]
            #expect(plots?[0]?.stringValue?.hasSuffix("residuals.svg") == true)
            let promoted = try await client.send(
                .post, "/api/v1/train/fetch-best-model", json: ["min_metrics": ["r2": 0.9, "rmse": 10000]], token: harness.admin)
            #expect(promoted.status == .ok, "\(String(buffer: promoted.body))")
            #expect(try promoted.json()["champion"]?["metric"] == "rmse")
        }
    }

    @Test func badTrainingRequestsNameTheField() async throws {
        let harness = try await TrainHarness()
        defer { harness.environment.removeFiles() }
        try await harness.run { client in
            let processed = try await client.dataVersion(csv: Self.penguins, name: "penguins", target: "species", features: nil, token: harness.admin)
            let cases: [(JSONValue, HTTPResponse.Status, String)] = [
                (["model_types": ["random_forest"], "config_path": "config/config.yaml"], .unprocessableContent, "config_path"),
                (["processed_version": .string(processed), "models": ["random_forest"], "model_types": ["random_forest"]], .unprocessableContent, "models"),
                (["processed_version": .string(processed), "tuning": ["trials": 0]], .unprocessableContent, "tuning.trials"),
                (["features_version": "fs-0000000000000000", "processed_version": .string(processed)], .unprocessableContent, "processed_version"),
                (["processed_version": "../../etc", "model_types": ["random_forest"]], .unprocessableContent, "processed_version"),
                (["processed_version": "pp-0000000000000000", "model_types": ["random_forest"]], .notFound, "processed_version"),
                (["processed_version": .string(processed), "model_types": ["random_forest", "svm"]], .unprocessableContent, "model_types[1]"),
                (["processed_version": .string(processed), "model_types": []], .unprocessableContent, "model_types"),
                (
                    [
                        "processed_version": .string(processed), "model_types": ["random_forest"],
                        "hyperparameters": ["random_forest": ["n_estimators": "many"]],
                    ], .unprocessableContent, "hyperparameters.random_forest"
                ),
                (["processed_version": .string(processed), "model_types": ["random_forest"], "metric": "rmse"], .unprocessableContent, "metric"),
                (["processed_version": .string(processed), "model_types": ["random_forest"], "cv_folds": 1], .unprocessableContent, "cv_folds"),
            ]
            for (body, status, field) in cases {
                let response = try await client.send(.post, "/api/v1/train", json: body, token: harness.admin)
                #expect(response.status == status, "\(body): \(String(buffer: response.body))")
                #expect(try response.json()["error"]?["details"]?[0]?["field"]?.stringValue == field, "\(body): \(String(buffer: response.body))")
            }
            #expect(try await client.send(.get, "/api/v1/train/jobs", token: harness.admin).json()["total"] == 0)
            let noRuns = try await client.send(.post, "/api/v1/train/fetch-best-model", json: [:], token: harness.admin)
            #expect(noRuns.status == .notFound)
            let badMetric = try await client.send(.post, "/api/v1/train/fetch-best-model", json: ["metric": "f1` DESC"], token: harness.admin)
            #expect(badMetric.status == .unprocessableContent)
            let noExperiment = try await client.send(.post, "/api/v1/train/fetch-best-model", json: ["experiment_name": "nope"], token: harness.admin)
            #expect(noExperiment.status == .notFound)
            #expect(try noExperiment.json()["error"]?["details"]?[0]?["field"] == "experiment_name")
            let user = try await harness.environment.token(for: "bob", role: .user)
            #expect(try await client.send(.get, "/api/v1/train/models", token: user).status == .forbidden)
        }
    }

    /// The training configuration is a versioned resource; a job started from `{}` takes its model
    /// types, hyperparameters and metric from it and the most recent data version, and a
    /// promotion without gates applies the configuration's.
    @Test func minimalBodiesUseTheTrainingConfiguration() async throws {
        let harness = try await TrainHarness()
        defer { harness.environment.removeFiles() }
        try await harness.run { client in
            let builtIn = try await client.send(.get, "/api/v1/train/config", token: harness.admin)
            #expect(builtIn.status == .ok)
            #expect(try builtIn.json()["version"] == 0)
            #expect(try builtIn.json()["model_types"] == ["logistic_regression", "random_forest", "gradient_boosting"])
            #expect(try await client.send(.post, "/api/v1/train", json: [:], token: harness.admin).status == .notFound, "no data version yet")

            let invalid: [(JSONValue, String)] = [
                (["model_types": ["svm"]], "model_types[0]"),
                (["metric": ["classification": "rmse"]], "metric.classification"),
                (["min_metrics": ["bogus": 1]], "min_metrics.bogus"),
                (["hyperparameters": ["decision_tree": ["max_depth": "deep"]]], "hyperparameters.decision_tree"),
                // Found by schemathesis: the generated decoder reads null as "left out".
                (["metric": .null], "metric"),
            ]
            for (body, field) in invalid {
                let refused = try await client.send(.put, "/api/v1/train/config", json: body, token: harness.admin)
                #expect(refused.status == .unprocessableContent, "\(body)")
                #expect(try refused.json()["error"]?["details"]?[0]?["field"]?.stringValue == field, "\(String(buffer: refused.body))")
            }
            let stored = try await client.send(
                .put, "/api/v1/train/config",
                json: [
                    "model_types": ["logistic_regression", "decision_tree"], "metric": ["classification": "accuracy"],
                    "hyperparameters": ["decision_tree": ["max_depth": 3], "random_forest": ["n_estimators": 10]],
                    "min_metrics": ["accuracy": 1.01],
                ], token: harness.admin)
            #expect(stored.status == .ok, "\(String(buffer: stored.body))")
            #expect(try stored.json()["version"] == 1)
            #expect(try stored.json()["updated_by"] == "admin")
            #expect(try await client.send(.get, "/api/v1/train/config", token: harness.admin).json()["version"] == 1)
            #expect(try await client.send(.get, "/api/v1/train/config?version=0", token: harness.admin).json()["model_types"]?[2] == "gradient_boosting")
            #expect(try await client.send(.get, "/api/v1/train/config?version=7", token: harness.admin).status == .notFound)
            let user = try await harness.environment.token(for: "bob", role: .user)
            #expect(try await client.send(.put, "/api/v1/train/config", json: [:], token: user).status == .forbidden)

            let processed = try await client.dataVersion(csv: Self.penguins, name: "penguins", target: "species", features: nil, token: harness.admin)
            let job = try await client.finishedJob(
                try await client.send(.post, "/api/v1/train", json: [:], token: harness.admin), role: "train", token: harness.admin)
            #expect(job["status"] == "completed", "\(job)")
            #expect(job["params"]?["processed_version"]?.stringValue == processed)
            #expect(job["params"]?["configuration_version"] == 1)
            #expect(job["params"]?["hyperparameters"] == ["decision_tree": ["max_depth": 3]])
            #expect(job["result"]?["metric"] == "accuracy")
            #expect(job["result"]?["leaderboard"]?.arrayCount == 2)
            // The replaced services' name for the list, and the body's choices over the configuration's.
            let aliased = try await client.finishedJob(
                try await client.send(.post, "/api/v1/train", json: ["models": ["decision_tree"], "metric": "f1_macro"], token: harness.admin),
                role: "train", token: harness.admin)
            #expect(aliased["params"]?["model_types"] == ["decision_tree"])
            #expect(aliased["result"]?["metric"] == "f1_macro")

            let gated = try await client.send(.post, "/api/v1/train/fetch-best-model", json: [:], token: harness.admin)
            #expect(gated.status == .conflict, "the configuration's gate (accuracy ≥ 1.01) applies")
            #expect(try gated.json()["error"]?["details"]?[0]?["field"] == "min_metrics.accuracy")
            let ungated = try await client.send(.post, "/api/v1/train/fetch-best-model", json: ["min_metrics": [:]], token: harness.admin)
            #expect(ungated.status == .ok, "a request's own (empty) gates replace the configuration's")
        }
    }

    /// `tuning` (and the replaced services' `grid_search: true`) searches each model type before
    /// its fit; every trial is a child run of the model's run, and the leaderboard says what won.
    @Test func tuningSearchesAndTracksEveryTrialAsAChildRun() async throws {
        let harness = try await TrainHarness()
        defer { harness.environment.removeFiles() }
        try await harness.run { client in
            let processed = try await client.dataVersion(csv: Self.penguins, name: "penguins", target: "species", features: nil, token: harness.admin)
            let job = try await client.finishedJob(
                try await client.send(
                    .post, "/api/v1/train",
                    json: [
                        "processed_version": .string(processed), "model_types": ["decision_tree"], "experiment_name": "tuned",
                        "tuning": ["trials": 4, "method": "halving", "budget_seconds": 120],
                    ], token: harness.admin), role: "train", token: harness.admin)
            #expect(job["status"] == "completed", "\(job)")
            let tuning = try #require(job["result"]?["leaderboard"]?[0]?["tuning"])
            #expect(tuning["method"] == "halving")
            #expect(tuning["trials"] == 6, "4 on most of penguins' few rows (at least 200), the best 2 on all of them")
            #expect(tuning["stopped_by_budget"] == false)
            let parent = try #require(job["result"]?["leaderboard"]?[0]?["run_id"]?.stringValue)

            let database = try DatabaseQueue(path: harness.environment.settings.stateDirectory + "/train.sqlite")
            let children = try database.read { db in
                try Row.fetchAll(db, sql: "SELECT name, tags, metrics FROM tracking_runs WHERE tags LIKE ?", arguments: ["%\(parent)%"])
            }
            #expect(children.count == 6)
            #expect(children.allSatisfy { ($0["metrics"] as String).contains("cv_accuracy") && !($0["metrics"] as String).contains("\"f1\"") })

            let aliased = try await client.finishedJob(
                try await client.send(
                    .post, "/api/v1/train", json: ["processed_version": .string(processed), "models": ["logistic_regression"], "grid_search": true],
                    token: harness.admin), role: "train", token: harness.admin)
            #expect(aliased["result"]?["leaderboard"]?[0]?["tuning"]?["trials"] == 20)
        }
    }

    /// While an ensemble fits, the job's progress follows its rounds, not just the model count.
    @Test func progressMovesWithinALongFit() async throws {
        let harness = try await TrainHarness()
        defer { harness.environment.removeFiles() }
        try await harness.run { client in
            let processed = try await client.dataVersion(csv: Self.penguins, name: "penguins", target: "species", features: nil, token: harness.admin)
            let accepted = try await client.send(
                .post, "/api/v1/train",
                json: [
                    "processed_version": .string(processed), "model_types": ["gradient_boosting"],
                    "hyperparameters": ["gradient_boosting": ["n_estimators": 1000, "validation_fraction": 0, "learning_rate": 0.01]],
                ], token: harness.admin)
            let id = try #require(try accepted.json()["job_id"]?.stringValue)
            var seen: [(Int, String)] = []
            while true {
                let job = try await client.send(.get, "/api/v1/train/status/\(id)", token: harness.admin).json()
                if job["status"] == "completed" || job["status"] == "failed" { break }
                if let message = job["message"]?.stringValue, let progress = job["progress"]?.intValue { seen.append((progress, message)) }
                try await Task.sleep(for: .milliseconds(50))
            }
            let within = seen.filter { $0.1.hasPrefix("training gradient_boosting (1 of 1): ") && $0.0 > 5 }
            #expect(!within.isEmpty, "\(seen.suffix(5))")
            #expect(within.map(\.0) == within.map(\.0).sorted(), "progress never goes back")
        }
    }

    /// A fit far longer than allowed stops at its next round: the job fails saying why, within
    /// about the limit, instead of holding the queue for the whole fit.
    @Test func aFitPastTheTimeLimitStops() async throws {
        let harness = try await TrainHarness(overrides: ["MLOPSD_TRAIN_MAX_SECONDS": "1"])
        defer { harness.environment.removeFiles() }
        try await harness.run { client in
            let processed = try await client.dataVersion(csv: Self.penguins, name: "penguins", target: "species", features: nil, token: harness.admin)
            let started = ContinuousClock.now
            let job = try await client.finishedJob(
                try await client.send(
                    .post, "/api/v1/train",
                    json: [
                        "processed_version": .string(processed), "model_types": ["gradient_boosting"],
                        "hyperparameters": ["gradient_boosting": ["n_estimators": 10_000, "validation_fraction": 0, "learning_rate": 0.001, "num_leaves": 64]],
                    ], token: harness.admin),
                role: "train", token: harness.admin
            )
            #expect(job["status"] == "failed")
            #expect(job["error"]?.stringValue?.contains("MLOPSD_TRAIN_MAX_SECONDS") == true, "\(job)")
            #expect(ContinuousClock.now - started < .seconds(30))
        }
    }

    /// Cancel reaches a running fit at its next round, not after the whole model.
    @Test func cancelStopsARunningFit() async throws {
        let harness = try await TrainHarness()
        defer { harness.environment.removeFiles() }
        try await harness.run { client in
            let processed = try await client.dataVersion(csv: Self.penguins, name: "penguins", target: "species", features: nil, token: harness.admin)
            let accepted = try await client.send(
                .post, "/api/v1/train",
                json: [
                    "processed_version": .string(processed), "model_types": ["gradient_boosting"],
                    "hyperparameters": ["gradient_boosting": ["n_estimators": 10_000, "validation_fraction": 0, "learning_rate": 0.001, "num_leaves": 64]],
                ], token: harness.admin)
            let id = try #require(try accepted.json()["job_id"]?.stringValue)
            for _ in 0..<500 {
                let job = try await client.send(.get, "/api/v1/train/status/\(id)", token: harness.admin).json()
                if job["message"]?.stringValue?.hasPrefix("training gradient_boosting") == true { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let cancelledAt = ContinuousClock.now
            #expect(try await client.send(.post, "/api/v1/train/jobs/\(id)/cancel", token: harness.admin).status == .ok)
            var status = ""
            while status != "cancelled", ContinuousClock.now - cancelledAt < .seconds(20) {
                status = try await client.send(.get, "/api/v1/train/status/\(id)", token: harness.admin).json()["status"]?.stringValue ?? ""
                if status == "completed" || status == "failed" { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(status == "cancelled")
        }
    }

    @Test func documentMatchesTheRouter() async throws {
        let harness = try await TrainHarness()
        defer { harness.environment.removeFiles() }
        let coverage = OpenAPICoverage(module: harness.modules[1], environment: harness.environment.kernel)
        #expect(coverage.undocumented.isEmpty, "routes missing from the OpenAPI document: \(coverage.undocumented)")
        #expect(coverage.phantom.isEmpty, "documented routes that do not exist: \(coverage.phantom)")
    }
}
