import Foundation
import Hummingbird
import HummingbirdTesting
import Kernel
import MLCore
import MLOpsTesting
import Testing

@testable import PredictRole

extension PredictHarness {
    func pointer(_ bundle: Data, name: String, version: String) -> ChampionPointer {
        ChampionPointer(
            modelName: name, version: version, modelType: "test", runID: "run-\(name)-\(version)", metric: "f1", metrics: [:],
            bundlePath: ChampionPointer.bundlePath(modelName: name, version: version, md5: DataVersion.digest(of: bundle).md5),
            bundleMD5: DataVersion.digest(of: bundle).md5,
            tracker: "embedded", promotedAt: Date(), promotedBy: "test")
    }

    /// Publishes a serving plan as the train role does.
    func serve(pinned: [(Data, String, String)] = [], challenger: (Data, String, String, share: Double, mode: Challenger.Mode)? = nil) async throws {
        var bundles: [String: Data] = [:]
        let pins = pinned.map { bundle, name, version in
            let pointer = pointer(bundle, name: name, version: version)
            bundles[pointer.bundlePath] = bundle
            return pointer
        }
        let setting = challenger.map { bundle, name, version, share, mode in
            let pointer = pointer(bundle, name: name, version: version)
            bundles[pointer.bundlePath] = bundle
            return Challenger(model: pointer, share: share, mode: mode)
        }
        try await FileChampionStore(modelsDirectory: modelsDirectory).publishPlan(
            ServingPlan(pinned: pins, challenger: setting, changedAt: Date(), changedBy: "test"), bundles: bundles)
    }
}

extension TestClientProtocol {
    /// Waits until the role serves `count` models.
    func waitUntilServing(_ count: Int, token: String) async throws -> JSONValue {
        var models = JSONValue.null
        for _ in 0..<1000 {
            models = try await send(.get, "/api/v1/predict/models", token: token).json()
            if models["models"]?.arrayCount == count { return models }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("never served \(count) models: \(models)")
        return models
    }
}

@Suite struct ServingPlanTests {
    @Test func pinnedVersionsAnswerByNameAndVersion() async throws {
        let harness = try await PredictHarness()
        defer { harness.environment.removeFiles() }
        let (split, forest) = try PredictHarness.penguinsBundle(modelType: "random_forest", parameters: #"{"n_estimators": 10}"#)
        let (_, linear) = try PredictHarness.penguinsBundle(modelType: "logistic_regression")
        try harness.promote(linear, name: "penguins-logistic_regression", version: "1")
        try await harness.serve(pinned: [(forest, "penguins-random_forest", "3"), (linear, "penguins-logistic_regression", "2")])
        let record = JSONValue.object(PredictHarness.records(split.test)[0])
        try await harness.run { client in
            let models = try await client.waitUntilServing(3, token: harness.user)
            let arms = (0..<3).compactMap { models["models"]?[$0]?["arm"]?.stringValue }
            #expect(arms == ["champion", "pinned", "pinned"])
            #expect((models["models"]?[1]?["memory_bytes"]?.doubleValue ?? 0) > 0)
            #expect((models["models"]?[1]?["bundle_bytes"]?.doubleValue ?? 0) == Double(forest.count))

            func answer(_ body: [String: JSONValue]) async throws -> JSONValue {
                let response = try await client.send(.post, "/api/v1/predict", json: .object(body.merging(["features": record]) { $1 }), token: harness.user)
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                return try response.json()
            }
            let byName = try await answer(["model_name": "penguins-random_forest"])
            #expect(byName["model_version"] == "3")
            #expect(byName["arm"] == "pinned")
            #expect(byName["model_type"] == "random_forest")
            // The name of the champion answers with the champion; a version picks the pinned one.
            #expect(try await answer(["model_name": "penguins-logistic_regression"])["arm"] == "champion")
            let pinned = try await answer(["model_name": "penguins-logistic_regression", "model_version": "2"])
            #expect(pinned["arm"] == "pinned")
            #expect(pinned["model_version"] == "2")
            #expect(try await answer(["model_alias": "champion"])["model_version"] == "1")

            let unknown = try await client.send(
                .post, "/api/v1/predict", json: ["features": record, "model_name": "penguins-random_forest", "model_version": "9"], token: harness.user)
            #expect(unknown.status == .notFound)
            #expect(try unknown.json()["error"]?["details"]?[0]?["field"] == "model_version")
            let noChallenger = try await client.send(.post, "/api/v1/predict", json: ["features": record, "model_alias": "challenger"], token: harness.user)
            #expect(noChallenger.status == .notFound)
            let both = try await client.send(
                .post, "/api/v1/predict", json: ["features": record, "model_alias": "champion", "model_name": "x"], token: harness.user)
            #expect(both.status == .unprocessableContent)

            // Batches by name and version too, from JSON and CSV.
            let batch = try await client.send(
                .post, "/api/v1/predict/batch",
                json: ["features_list": [record, record], "model_name": "penguins-random_forest", "model_version": "3"], token: harness.user)
            #expect(try batch.json()["arm"] == "pinned")
            let csv = CSVWriter.write(split.test.dropping(columns: ["species"]))
            let fromCSV = try await client.execute(
                uri: "/api/v1/predict/batch?model_name=penguins-random_forest", method: .post,
                headers: [.contentType: "text/csv", .authorization: "Bearer \(harness.user)"], body: ByteBuffer(bytes: csv))
            #expect(try fromCSV.json()["model_version"] == "3")

            // Unpinning takes it out of service.
            try await harness.serve(pinned: [(linear, "penguins-logistic_regression", "2")])
            _ = try await client.waitUntilServing(2, token: harness.user)
            let gone = try await client.send(.post, "/api/v1/predict", json: ["features": record, "model_name": "penguins-random_forest"], token: harness.user)
            #expect(gone.status == .notFound)
        }
    }

    @Test func theCanaryAnswersItsShareStickingToRequestIDs() async throws {
        let harness = try await PredictHarness()
        defer { harness.environment.removeFiles() }
        let (split, forest) = try PredictHarness.penguinsBundle(modelType: "random_forest", parameters: #"{"n_estimators": 5}"#)
        let (_, linear) = try PredictHarness.penguinsBundle(modelType: "logistic_regression")
        try harness.promote(linear, name: "penguins-logistic_regression", version: "1")
        try await harness.serve(challenger: (forest, "penguins-random_forest", "2", share: 0.1, mode: .canary))
        let record = JSONValue.object(PredictHarness.records(split.test)[0])
        try await harness.run { client in
            let models = try await client.waitUntilServing(2, token: harness.user)
            #expect(models["models"]?[1]?["share"]?.doubleValue == 0.1)
            #expect(models["models"]?[1]?["mode"] == "canary")
            var arms: [String: String] = [:]
            for index in 0..<2000 {
                let id = "canary-\(index)"
                let response = try await client.send(.post, "/api/v1/predict", json: ["features": record], token: harness.user, headers: [.xRequestID: id])
                arms[id] = try response.json()["arm"]?.stringValue
            }
            let share = Double(arms.values.count { $0 == "challenger" }) / 2000
            #expect(abs(share - 0.1) <= 0.03, "challenger answered \(share)")
            // A retry with the same id gets the same model.
            for index in stride(from: 0, to: 2000, by: 40) {
                let id = "canary-\(index)"
                let again = try await client.send(.post, "/api/v1/predict", json: ["features": record], token: harness.user, headers: [.xRequestID: id])
                #expect(try again.json()["arm"]?.stringValue == arms[id])
            }
            // A request that names a model is never diverted.
            for index in 0..<200 {
                let named = try await client.send(
                    .post, "/api/v1/predict", json: ["features": record, "model_name": "penguins-logistic_regression"], token: harness.user,
                    headers: [.xRequestID: "named-\(index)"])
                #expect(try named.json()["arm"] == "champion")
            }
            let metrics = String(buffer: try await client.send(.get, "/metrics").body)
            #expect(metrics.contains(#"mlopsd_predictions_total{model="penguins-random_forest",version="2",arm="challenger"}"#))
        }
    }

    @Test func theShadowNeverChangesAResponse() async throws {
        let harness = try await PredictHarness()
        defer { harness.environment.removeFiles() }
        let (split, forest) = try PredictHarness.penguinsBundle(modelType: "random_forest", parameters: #"{"n_estimators": 5}"#)
        let (_, linear) = try PredictHarness.penguinsBundle(modelType: "logistic_regression")
        try harness.promote(linear, name: "penguins-logistic_regression", version: "1")
        let records = PredictHarness.records(split.test).map(JSONValue.object)
        try await harness.run { client in
            try await client.waitUntilReady(token: harness.user)
            func answers() async throws -> [JSONValue] {
                var bodies: [JSONValue] = []
                for record in records {
                    var body = try await client.send(.post, "/api/v1/predict", json: ["features": record], token: harness.user).json()
                    // Fields that differ between any two answers.
                    if case .object(var members) = body {
                        members["prediction_id"] = nil
                        members["timestamp"] = nil
                        body = .object(members)
                    }
                    bodies.append(body)
                }
                return bodies
            }
            let alone = try await answers()
            try await harness.serve(challenger: (forest, "penguins-random_forest", "2", share: 0.5, mode: .shadow))
            let models = try await client.waitUntilServing(2, token: harness.user)
            #expect(models["models"]?[1]?["mode"] == "shadow")
            #expect(models["models"]?[1]?["share"] == nil, "a shadow answers no share")
            let shadowed = try await answers()
            #expect(shadowed == alone)
            var shadow = JSONValue.null
            for _ in 0..<500 {
                shadow = try await client.send(.get, "/api/v1/predict/models", token: harness.user).json()["models"]?[1]?["shadow"] ?? .null
                if shadow["compared"]?.doubleValue == Double(records.count) { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(shadow["compared"]?.doubleValue == Double(records.count), "\(shadow)")
            #expect((shadow["agreement"]?.doubleValue ?? 0) > 0.8, "two good penguin models mostly agree: \(shadow)")
        }
    }

    /// Drift against the training profile: a replay of held-out rows is quiet; the same rows with
    /// one feature moved by one standard deviation flag that feature.
    @Test func driftFlagsAFeatureShiftedByOneStandardDeviation() async throws {
        let harness = try await PredictHarness(overrides: ["MLOPSD_DRIFT_WINDOW": "8000"])
        defer { harness.environment.removeFiles() }
        let table = try CSVReader.read(path: PredictHarness.datasets.appendingPathComponent("diamonds.csv").path)
        let split = try Preprocessor.run(table, spec: PreprocessSpec(target: "price"))
        let trained = try Trainer.train(.init(modelType: "linear_regression", parameters: Data("{}".utf8), dataVersion: "test"), split: split, target: "price")
        let bundle = try trained.bundle.fileData()
        try harness.promote(bundle, name: "diamonds-linear", version: "1")
        // The same bundle pinned serves in an arm of its own, with a window of its own.
        try await harness.serve(pinned: [(bundle, "diamonds-linear", "2")])
        let test = split.test.dropping(columns: ["price"])
        // 4,000 held-out rows in a fixed shuffled order: the file is sorted by price, so a prefix
        // would be a shift of its own. The window (6,000 to 8,000 records) holds them all.
        let all = PredictHarness.records(test)
        let replay = (0..<4000).map { all[($0 * 7919) % all.count] }
        guard case .numeric(let carat)? = split.train.columns.first(where: { $0.name == "carat" })?.storage else {
            Issue.record("carat is not numeric")
            return
        }
        let mean = carat.reduce(0, +) / Double(carat.count)
        let deviation = (carat.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(carat.count - 1)).squareRoot()
        let shifted = replay.map { record in
            var record = record
            if case .number(let value)? = record["carat"] { record["carat"] = .number(value + deviation) }
            return record
        }
        try await harness.run { client in
            _ = try await client.waitUntilServing(2, token: harness.user)
            for chunk in stride(from: 0, to: replay.count, by: 1000) {
                let slice = Array(replay[chunk..<(chunk + 1000)]).map(JSONValue.object)
                let quiet = try await client.send(.post, "/api/v1/predict/batch", json: ["features_list": .array(slice)], token: harness.user)
                #expect(quiet.status == .ok)
                let moved = Array(shifted[chunk..<(chunk + 1000)]).map(JSONValue.object)
                let drifted = try await client.send(
                    .post, "/api/v1/predict/batch", json: ["features_list": .array(moved), "model_name": "diamonds-linear", "model_version": "2"],
                    token: harness.user)
                #expect(drifted.status == .ok)
            }
            // The traffic history answers any signed-in user; its first point comes ten seconds in.
            let traffic = try await client.send(.get, "/api/v1/predict/traffic", token: harness.user)
            #expect(traffic.status == .ok)
            #expect(try traffic.json()["interval_seconds"] == 10)
            #expect(try await client.send(.get, "/api/v1/predict/traffic").status == .unauthorized)
            let report = try await client.send(.get, "/api/v1/predict/drift", token: harness.user).json()
            let champion = try #require(report["models"]?[0])
            let pinned = try #require(report["models"]?[1])
            #expect(champion["arm"] == "champion")
            #expect(champion["reference"] == true)
            #expect((champion["records"]?.doubleValue ?? 0) >= 3000)
            #expect(champion["drifted_features"] == [], "\(champion)")
            #expect(champion["prediction"]?["drifted"] == false, "\(champion["prediction"] ?? .null)")
            #expect(pinned["drifted_features"] == ["carat"], "\(pinned)")
            let caratDrift = (0..<10).compactMap { pinned["features"]?[$0] }.first { $0["name"] == "carat" }
            #expect(caratDrift?["statistic"] == "psi")
            #expect((caratDrift?["value"]?.doubleValue ?? 0) > 0.2)
            let metrics = String(buffer: try await client.send(.get, "/metrics").body)
            #expect(metrics.contains(#"mlopsd_drift_flagged{model="diamonds-linear",version="2",arm="pinned",feature="carat"} 1"#))
        }
    }

    /// Live metrics from feedback are the metrics of the same predictions and labels computed
    /// offline; ids that were not issued, or altered, are refused.
    @Test func feedbackMetricsEqualTheOfflineMetrics() async throws {
        let harness = try await PredictHarness()
        defer { harness.environment.removeFiles() }
        let (split, bundle) = try PredictHarness.penguinsBundle(modelType: "random_forest", parameters: #"{"n_estimators": 5, "max_depth": 2}"#)
        try harness.promote(bundle, name: "penguins-random_forest", version: "1")
        let records = PredictHarness.records(split.test)
        let labels = try #require(split.test.columns.first { $0.name == "species" })
        try await harness.run { client in
            try await client.waitUntilReady(token: harness.user)
            let batch = try await client.send(
                .post, "/api/v1/predict/batch", json: ["features_list": .array(records.map(JSONValue.object))], token: harness.user)
            let predictions = try #require(try batch.json()["predictions"])
            var feedback: [JSONValue] = []
            var truth: [String] = []
            var predicted: [String] = []
            for index in 0..<records.count {
                guard case .string(let label) = RawValue(column: labels, row: index) else { continue }
                let id = try #require(predictions[index]?["prediction_id"]?.stringValue)
                feedback.append(["prediction_id": .string(id), "label": .string(label)])
                truth.append(label)
                predicted.append(try #require(predictions[index]?["prediction"]?.stringValue))
            }
            let sent = try await client.send(.post, "/api/v1/predict/feedback", json: ["feedback": .array(feedback)], token: harness.user)
            #expect(sent.status == .ok, "\(String(buffer: sent.body))")
            #expect(try sent.json()["accepted"]?.doubleValue == Double(feedback.count))
            // Sent again, nothing is counted twice.
            _ = try await client.send(.post, "/api/v1/predict/feedback", json: ["feedback": .array(feedback)], token: harness.user)

            let performance = try await client.send(.get, "/api/v1/predict/performance", token: harness.user).json()
            let live = try #require(performance["models"]?[0])
            #expect(live["feedback"]?.doubleValue == Double(feedback.count))
            let classes = ["Adelie", "Chinstrap", "Gentoo"]
            let offline = Evaluation.metrics(
                truth: Targets(task: .classification, values: truth.compactMap { classes.firstIndex(of: $0).map(Double.init) }, labels: classes),
                predicted: predicted.compactMap { classes.firstIndex(of: $0).map(Double.init) }, probabilities: nil)
            for name in ["accuracy", "f1", "f1_macro", "f1_weighted"] {
                let value = try #require(live["metrics"]?[name]?.doubleValue, "\(name) missing: \(live)")
                #expect(abs(value - (offline[name] ?? .nan)) < 1e-12, "\(name): live \(value), offline \(offline[name] ?? .nan)")
            }
            #expect(live["held_out"]?["accuracy"] != nil)

            // An id altered by one character, an id never issued, and a class the model does not know.
            let id = try #require(feedback[0]["prediction_id"]?.stringValue)
            let altered = String(id.dropLast()) + (id.last == "A" ? "B" : "A")
            let forged = try await client.send(
                .post, "/api/v1/predict/feedback", json: ["prediction_id": .string(altered), "label": "Adelie"], token: harness.user)
            #expect(forged.status == .unprocessableContent)
            #expect(try forged.json()["error"]?["details"]?[0]?["field"] == "prediction_id")
            let unknownClass = try await client.send(
                .post, "/api/v1/predict/feedback", json: ["prediction_id": .string(id), "label": "Emperor"], token: harness.user)
            #expect(unknownClass.status == .unprocessableContent)
            #expect(try unknownClass.json()["error"]?["details"]?[0]?["field"] == "label")
            let wrongType = try await client.send(
                .post, "/api/v1/predict/feedback", json: ["feedback": [["prediction_id": .string(id), "value": "high"]]], token: harness.user)
            #expect(wrongType.status == .unprocessableContent)
            #expect(try wrongType.json()["error"]?["details"]?[0]?["field"] == "feedback[0].value")
            let mixed = try await client.send(
                .post, "/api/v1/predict/feedback", json: ["feedback": [["prediction_id": .string(id), "label": "Adelie"], ["prediction_id": "nope"]]],
                token: harness.user)
            #expect(try mixed.json()["accepted"] == 1)
            #expect(try mixed.json()["errors"]?[0]?["details"]?[0]?["field"] == "feedback[1].prediction_id")
            let metrics = String(buffer: try await client.send(.get, "/metrics").body)
            #expect(metrics.contains(#"mlopsd_live_metric{model="penguins-random_forest",version="1",arm="champion",metric="accuracy"}"#))
        }
    }

    /// Rows a crafted or damaged store holds (NaN, infinities, classes the model does not have)
    /// are left out, not trapped on.
    @Test func liveMetricsLeaveOutRowsNoModelCouldHaveMade() {
        func row(_ predicted: Double, _ actual: Double) -> PredictionFeedback {
            PredictionFeedback(
                predictionID: UUID().uuidString, modelKey: "k", arm: "champion", predicted: predicted, actual: actual,
                predictedAt: Date(), receivedAt: Date())
        }
        let rows = [row(1, 1), row(0, 1), row(.nan, 1), row(1, .infinity), row(1e300, 0), row(-1, 0), row(2, 0), row(0.5, 0)]
        let classification = LivePerformance.metrics(rows, task: .classification, classCount: 2)
        #expect(classification["accuracy"] == 0.5, "\(classification)")
        let regression = LivePerformance.metrics([row(1, 2), row(.nan, 1), row(3, -.infinity)], task: .regression, classCount: 0)
        #expect(regression["rmse"] == 1, "\(regression)")
    }

    @Test func predictionIDsRoundTripAndRefuseAnyChange() throws {
        let ids = PredictionIDs(secret: "a secret of thirty-two characters!")
        let other = PredictionIDs(secret: "another secret of 32 characters!!")
        let contents = PredictionIDs.Contents(
            modelKey: 0x0123_4567_89ab_cdef, arm: .challenger, predicted: 2, issuedAt: Date(timeIntervalSince1970: 1_800_000_000))
        let id = ids.issue(modelKey: contents.modelKey, arm: contents.arm, predicted: contents.predicted, at: contents.issuedAt)
        #expect(id.count == PredictionIDs.textLength)
        #expect(ids.read(id) == contents)
        #expect(other.read(id) == nil, "another deployment's key")
        #expect(ids.issue(modelKey: 1, arm: .champion, predicted: 0) != ids.issue(modelKey: 1, arm: .champion, predicted: 0))
        var bytes = Array(id.utf8)
        for index in [0, 10, 30, bytes.count - 1] {
            let original = bytes[index]
            bytes[index] = original == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
            #expect(ids.read(String(decoding: bytes, as: UTF8.self)) == nil)
            bytes[index] = original
        }
        #expect(ids.read("") == nil)
        #expect(ids.read(String(repeating: "!", count: PredictionIDs.textLength)) == nil)
    }
}
