import Foundation
import Hummingbird
import HummingbirdTesting
import Kernel
import MLCore
import MLOpsTesting
import PredictRole
import Testing

/// A predict role over a models directory where the tests play the train role: they write
/// bundles and move `champion.json` as promotion does.
struct PredictHarness: Sendable {
    let environment: TestEnvironment
    let module: RoleModule
    let user: String
    let admin: String

    static let datasets = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("../shared/datasets").standardized

    init(overrides: [String: String] = [:]) async throws {
        environment = try await TestEnvironment(role: .predict, overrides: ["MLOPSD_PREDICT_RELOAD_MS": "50"].merging(overrides) { _, new in new })
        try FileManager.default.createDirectory(atPath: environment.settings.modelsDirectory, withIntermediateDirectories: true)
        module = try await PredictRole.module(environment: environment.kernel)
        user = try await environment.token(for: "alice", role: .user)
        admin = try await environment.token(for: "admin", role: .admin)
    }

    var modelsDirectory: URL { URL(fileURLWithPath: environment.settings.modelsDirectory) }

    @discardableResult
    func run<Value: Sendable>(_ test: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        try await buildApplication(environment: environment.kernel, modules: [module]).test(.router, test)
    }

    /// Trains on penguins and returns the split with the bundle's bytes.
    static func penguinsBundle(modelType: String, parameters: String = "{}") throws -> (split: PreprocessResult, bundle: Data) {
        let table = try CSVReader.read(path: datasets.appendingPathComponent("penguins.csv").path)
        let split = try Preprocessor.run(table, spec: PreprocessSpec(target: "species"))
        let trained = try Trainer.train(
            .init(modelType: modelType, parameters: Data(parameters.utf8), dataVersion: "test"), split: split, target: "species"
        )
        return (split, try trained.bundle.fileData())
    }

    /// Writes the bundle and then the pointer, as promotion does.
    func promote(_ bundle: Data, name: String, version: String) throws {
        let path = "champion/\(name)-v\(version).mlbundle"
        try FileManager.default.createDirectory(at: modelsDirectory.appendingPathComponent("champion"), withIntermediateDirectories: true)
        try bundle.write(to: modelsDirectory.appendingPathComponent(path), options: .atomic)
        try ChampionPointer(
            modelName: name, version: version, modelType: "test", runID: "run-\(version)", metric: "f1", metrics: [:],
            bundlePath: path, bundleMD5: DataVersion.digest(of: bundle).md5, tracker: "embedded", promotedAt: Date(), promotedBy: "test"
        ).write(modelsDirectory: modelsDirectory)
    }

    static func records(_ table: Table) -> [[String: JSONValue]] {
        (0..<table.rowCount).map { row in
            Dictionary(
                uniqueKeysWithValues: table.columns.filter { $0.name != "species" }.map { column -> (String, JSONValue) in
                    switch RawValue(column: column, row: row) {
                    case .null: (column.name, .null)
                    case .bool(let flag): (column.name, .bool(flag))
                    case .number(let number): (column.name, .number(number))
                    case .string(let text): (column.name, .string(text))
                    }
                })
        }
    }
}

extension TestClientProtocol {
    func waitUntilReady(version: String? = nil, token: String) async throws {
        for _ in 0..<1000 {
            if try await send(.get, "/api/v1/predict/ready").status == .ok {
                let loaded = try await send(.get, "/api/v1/predict/models", token: token).json()
                if version == nil || loaded["models"]?[0]?["version"]?.stringValue == version { return }
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the predict role never loaded version \(version ?? "any")")
    }
}

@Suite struct PredictRoleTests {
    @Test func predictionsEqualTheBundlesOwn() async throws {
        let harness = try await PredictHarness()
        defer { harness.environment.removeFiles() }
        let (split, data) = try PredictHarness.penguinsBundle(modelType: "gradient_boosting", parameters: #"{"n_estimators": 30}"#)
        try harness.promote(data, name: "penguins-gradient_boosting", version: "1")
        let bundle = try ModelBundle.load(from: data)
        let records = PredictHarness.records(split.test)
        let expected = bundle.predict(
            records: records.map { record in
                record.mapValues { value -> RawValue in
                    switch value {
                    case .number(let number): .number(number)
                    case .string(let text): .string(text)
                    case .bool(let flag): .bool(flag)
                    default: .null
                    }
                }
            })
        try await harness.run { client in
            try await client.waitUntilReady(token: harness.user)
            for (index, record) in records.prefix(20).enumerated() {
                let response = try await client.send(.post, "/api/v1/predict", json: ["features": .object(record)], token: harness.user)
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let body = try response.json()
                let want = try expected[index].get()
                #expect(body["prediction"]?.stringValue == want.label)
                #expect(body["probability"] == .number(try #require(want.probability)))
                for (label, probability) in try #require(want.probabilities) {
                    #expect(body["probabilities"]?[label] == .number(probability), "bit-identical through JSON")
                }
                #expect(body["model_name"] == "penguins-gradient_boosting")
                #expect(body["model_version"] == "1")
                #expect(body["model_type"] == "gradient_boosting")
                #expect(body["timestamp"]?.stringValue != nil)
            }

            let batch = try await client.send(.post, "/api/v1/predict/batch", json: ["features_list": .array(records.map { .object($0) })], token: harness.user)
            #expect(batch.status == .ok)
            let answer = try batch.json()
            #expect(answer["count"]?.intValue == records.count)
            #expect(answer["errors"]?.arrayCount == 0)
            for index in records.indices {
                #expect(answer["predictions"]?[index]?["prediction"]?.stringValue == (try expected[index].get()).label)
            }

            // The same records as CSV.
            let csv = CSVWriter.write(split.test.dropping(columns: ["species"]))
            let fromCSV = try await client.execute(
                uri: "/api/v1/predict/batch", method: .post,
                headers: [.contentType: "text/csv", .authorization: "Bearer \(harness.user)"], body: ByteBuffer(bytes: csv)
            )
            #expect(fromCSV.status == .ok, "\(String(buffer: fromCSV.body))")
            #expect(try fromCSV.json()["predictions"]?[3]?["probabilities"] == answer["predictions"]?[3]?["probabilities"])

            let models = try await client.send(.get, "/api/v1/predict/models", token: harness.user).json()
            #expect(models["models"]?[0]?["task"] == "classification")
            #expect(models["models"]?[0]?["class_labels"] == ["Adelie", "Chinstrap", "Gentoo"])
            #expect(models["models"]?[0]?["input_schema"]?.arrayCount == 7)

            let metrics = String(buffer: try await client.send(.get, "/metrics").body)
            #expect(metrics.contains(#"mlopsd_predictions_total{model="penguins-gradient_boosting",version="1",arm="champion"} \#(20 + 2 * records.count)"#))
        }
    }

    /// A model that learnt integer labels answers numbers, as the values clients trained on; text
    /// labels stay strings (above).
    @Test func integerLabelsAreAnsweredAsNumbers() async throws {
        let harness = try await PredictHarness()
        defer { harness.environment.removeFiles() }
        let table = try CSVReader.read(path: PredictHarness.datasets.appendingPathComponent("crashes.csv").path)
        let split = try Preprocessor.run(table, spec: PreprocessSpec(target: "frontal", task: .classification, drop: ["caseid", "dead"]))
        let trained = try Trainer.train(.init(modelType: "logistic_regression", dataVersion: "test"), split: split, target: "frontal")
        try harness.promote(try trained.bundle.fileData(), name: "crashes-frontal", version: "1")
        let records = PredictHarness.records(split.test.dropping(columns: ["frontal"]))
        try await harness.run { client in
            try await client.waitUntilReady(token: harness.user)
            let single = try await client.send(.post, "/api/v1/predict", json: ["features": .object(records[0])], token: harness.user).json()
            #expect(single["prediction"] == 0 || single["prediction"] == 1, "\(String(describing: single["prediction"]))")
            #expect(single["probabilities"]?["1"]?.doubleValue != nil, "probabilities stay keyed by the label's text")
            let batch = try await client.send(
                .post, "/api/v1/predict/batch", json: ["features_list": .array(records.prefix(5).map { .object($0) })], token: harness.user
            ).json()
            #expect(batch["model_type"] == "logistic_regression")
            for index in 0..<5 { #expect(batch["predictions"]?[index]?["prediction"]?.doubleValue != nil) }
        }
    }

    @Test func badRecordsNameTheirFields() async throws {
        let harness = try await PredictHarness(overrides: ["MLOPSD_PREDICT_MAX_BATCH": "3"])
        defer { harness.environment.removeFiles() }
        let (split, data) = try PredictHarness.penguinsBundle(modelType: "logistic_regression")
        try harness.promote(data, name: "penguins-logistic_regression", version: "1")
        let good = PredictHarness.records(split.test)[0]
        try await harness.run { client in
            try await client.waitUntilReady(token: harness.user)
            var missing = good
            missing["island"] = nil
            var wrongType = good
            wrongType["bill_length_mm"] = "long"
            var unknown = good
            unknown["island"] = "Atlantis"
            var nested = good
            nested["sex"] = ["male"]
            let cases: [(JSONValue, String, String)] = [
                (["features": .object(missing)], "features.island", "missing"),
                (["features": .object(wrongType)], "features.bill_length_mm", "number"),
                (["features": .object(unknown)], "features.island", "unknown category 'Atlantis'"),
                (["features": .object(nested)], "features.sex", "expected a number, string, boolean or null"),
                (["features": "x"], "features", "expected object"),
            ]
            for (body, field, problem) in cases {
                let response = try await client.send(.post, "/api/v1/predict", json: body, token: harness.user)
                #expect(response.status == .unprocessableContent, "\(body): \(String(buffer: response.body))")
                let detail = try response.json()["error"]?["details"]?[0]
                #expect(detail?["field"]?.stringValue == field, "\(String(buffer: response.body))")
                #expect(detail?["problem"]?.stringValue?.contains(problem) == true, "\(String(buffer: response.body))")
            }

            var extra = good
            extra["colour"] = "blue"
            let ignored = try await client.send(.post, "/api/v1/predict", json: ["features": .object(extra)], token: harness.user)
            #expect(ignored.status == .ok)
            #expect(try ignored.json()["ignored_fields"] == ["colour"])

            let empty = try await client.execute(
                uri: "/api/v1/predict", method: .post, headers: [.contentType: "application/json", .authorization: "Bearer \(harness.user)"], body: ByteBuffer()
            )
            #expect(empty.status == .badRequest)
            let text = try await client.execute(
                uri: "/api/v1/predict", method: .post, headers: [.contentType: "text/plain", .authorization: "Bearer \(harness.user)"],
                body: ByteBuffer(string: "x"))
            #expect(text.status == .unsupportedMediaType)
            #expect(try await client.send(.post, "/api/v1/predict", json: ["features": .object(good)]).status == .unauthorized)
            #expect(
                try await client.send(.post, "/api/v1/predict", json: ["features": .object(good), "model_name": "other"], token: harness.user).status
                    == .notFound)

            let mixed = try await client.send(
                .post, "/api/v1/predict/batch", json: ["features_list": [.object(good), .object(missing), .object(unknown)]], token: harness.user)
            #expect(mixed.status == .ok)
            let answer = try mixed.json()
            #expect(answer["count"] == 1)
            #expect(answer["predictions"]?[1] == .null)
            #expect(answer["errors"]?[0]?["index"] == 1)
            #expect(answer["errors"]?[1]?["index"] == 2)
            #expect(answer["errors"]?[1]?["details"]?[0]?["field"] == "island")
            // Found by schemathesis: a value of the wrong shape was answered 200 with a per-record
            // error; it breaks the documented schema, so the whole request is refused.
            let misshapen = try await client.send(
                .post, "/api/v1/predict/batch", json: ["features_list": [.object(good), .object(nested)]], token: harness.user)
            #expect(misshapen.status == .unprocessableContent)
            #expect(try misshapen.json()["error"]?["details"]?[0]?["field"] == "features_list[1].sex")
            let tooMany = try await client.send(
                .post, "/api/v1/predict/batch", json: ["features_list": .array(Array(repeating: .object(good), count: 4))], token: harness.user)
            #expect(tooMany.status == .contentTooLarge)
            #expect(try await client.send(.post, "/api/v1/predict/reload", token: harness.user).status == .forbidden)
        }
    }

    /// A batch near MLOPSD_PREDICT_MAX_BATCH records is far over the general 1 MiB body limit:
    /// the batch route has a limit of its own.
    @Test func aFullBatchIsNotRefusedForItsSize() async throws {
        let harness = try await PredictHarness()
        defer { harness.environment.removeFiles() }
        let (split, data) = try PredictHarness.penguinsBundle(modelType: "logistic_regression")
        try harness.promote(data, name: "penguins", version: "1")
        let records = PredictHarness.records(split.test)
        let batch = (0..<9_000).map { JSONValue.object(records[$0 % records.count]) }
        let body = JSONValue.object(["features_list": .array(batch)])
        #expect(body.jsonString().utf8.count > 1 << 20)
        try await harness.run { client in
            try await client.waitUntilReady(token: harness.user)
            let response = try await client.send(.post, "/api/v1/predict/batch", json: body, token: harness.user)
            #expect(response.status == .ok, "\(String(buffer: response.body).prefix(300))")
            #expect(try response.json()["count"] == 9_000)
        }
    }

    @Test func withoutAChampionItIsAliveButNotReady() async throws {
        let harness = try await PredictHarness()
        defer { harness.environment.removeFiles() }
        try await harness.run { client in
            #expect(try await client.send(.get, "/api/v1/predict/health").status == .ok)
            let ready = try await client.send(.get, "/api/v1/predict/ready")
            #expect(ready.status == .serviceUnavailable)
            #expect(try ready.json()["error"]?["details"]?[0]?["field"] == "model")
            let predict = try await client.send(.post, "/api/v1/predict", json: ["features": ["a": 1]], token: harness.user)
            #expect(predict.status == .serviceUnavailable)
            #expect(predict.errorCode == "no_model")
        }
    }

    @Test func hotReloadUnderLoadDropsNothingAndACorruptBundleChangesNothing() async throws {
        let harness = try await PredictHarness()
        defer { harness.environment.removeFiles() }
        let (split, first) = try PredictHarness.penguinsBundle(modelType: "logistic_regression")
        let (_, second) = try PredictHarness.penguinsBundle(modelType: "random_forest", parameters: #"{"n_estimators": 20}"#)
        try harness.promote(first, name: "penguins", version: "1")
        let record = JSONValue.object(PredictHarness.records(split.test)[0])
        try await harness.run { client in
            try await client.waitUntilReady(token: harness.user)
            // Four clients loop on requests while the champion moves; each reports what it got.
            let outcomes = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        var seen: [String] = []
                        for _ in 0..<150 {
                            let response = try await client.send(.post, "/api/v1/predict", json: ["features": record], token: harness.user)
                            let version = response.status == .ok ? try response.json()["model_version"]?.stringValue : nil
                            seen.append(version ?? "failed \(response.status.code)")
                        }
                        return seen
                    }
                }
                group.addTask {
                    try await Task.sleep(for: .milliseconds(100))
                    try harness.promote(second, name: "penguins", version: "2")
                    return []
                }
                return try await group.reduce(into: [String]()) { $0 += $1 }
            }
            #expect(outcomes.count == 600)
            #expect(outcomes.allSatisfy { $0 == "1" || $0 == "2" }, "\(Set(outcomes))")
            #expect(outcomes.contains("1"))
            try await client.waitUntilReady(version: "2", token: harness.user)

            // A corrupt bundle: logged, the old model keeps serving, readiness stays true.
            try harness.promote(Data("{\"format\": \"not a bundle\"}".utf8), name: "penguins", version: "3")
            // Wait for the poll to see the new pointer (a busy CI machine can take a while).
            var models = JSONValue.null
            for _ in 0..<500 {
                models = try await client.send(.get, "/api/v1/predict/models", token: harness.user).json()
                if models["last_reload_error"]?.stringValue != nil { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(models["last_reload_error"]?.stringValue?.contains("does not load") == true, "\(models)")
            #expect(try await client.send(.get, "/api/v1/predict/ready").status == .ok)
            let still = try await client.send(.post, "/api/v1/predict", json: ["features": record], token: harness.user)
            #expect(try still.json()["model_version"] == "2")
            let reload = try await client.send(.post, "/api/v1/predict/reload", token: harness.admin)
            #expect(reload.status == .unprocessableContent)
            #expect(reload.errorCode == "reload_failed")
        }
    }

    /// Many promotions announced at once (as `--role all` does, racing the poll): every caller
    /// returns, and the last champion is the one served.
    @Test(.timeLimit(.minutes(1)))
    func concurrentReloadsAllReturn() async throws {
        let harness = try await PredictHarness()
        defer { harness.environment.removeFiles() }
        let (_, bundle) = try PredictHarness.penguinsBundle(modelType: "logistic_regression")
        try harness.promote(bundle, name: "penguins", version: "1")
        let changes = harness.environment.kernel.championChanges
        try await harness.run { client in
            try await client.waitUntilReady(version: "1", token: harness.user)
            for version in 2...6 {
                try harness.promote(bundle, name: "penguins", version: "\(version)")
                await withTaskGroup(of: Void.self) { group in
                    for _ in 0..<32 {
                        group.addTask { await changes.announce() }
                    }
                }
                let models = try await client.send(.get, "/api/v1/predict/models", token: harness.user).json()
                #expect(models["models"]?[0]?["version"]?.stringValue == "\(version)")
            }
        }
    }

    @Test func documentMatchesTheRouter() async throws {
        let harness = try await PredictHarness()
        defer { harness.environment.removeFiles() }
        let coverage = OpenAPICoverage(module: harness.module, environment: harness.environment.kernel)
        #expect(coverage.undocumented.isEmpty, "routes missing from the OpenAPI document: \(coverage.undocumented)")
        #expect(coverage.phantom.isEmpty, "documented routes that do not exist: \(coverage.phantom)")
    }
}
