import AsyncHTTPClient
import Foundation
import Hummingbird
import HummingbirdTesting
import Kernel
import MLCore
import MLOpsTesting
import NIOHTTP1
import Synchronization
import Testing

@testable import TrainRole

/// Training against a real `mlflow server` (CI starts one with `.ci/mlflow` and sets
/// `MLOPSD_TEST_MLFLOW_URI`), then reading back through MLflow's own REST API what was recorded.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["MLOPSD_TEST_MLFLOW_URI"] != nil, "set MLOPSD_TEST_MLFLOW_URI to a running mlflow server"))
struct MLflowTrackingTests {
    static let uri = ProcessInfo.processInfo.environment["MLOPSD_TEST_MLFLOW_URI"] ?? ""

    /// MLflow's REST API, read directly: what any MLflow client would see.
    static func mlflow(_ method: HTTPMethod, _ path: String, json: JSONValue? = nil) async throws -> (status: UInt, body: [UInt8]) {
        var request = HTTPClientRequest(url: uri + path)
        request.method = method
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(Array(json.jsonString().utf8))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        return (response.status.code, Array(buffer: try await response.body.collect(upTo: 64 << 20)))
    }

    static func mlflowJSON(_ method: HTTPMethod, _ path: String, json: JSONValue? = nil) async throws -> JSONValue {
        let answer = try await mlflow(method, path, json: json)
        #expect(answer.status == 200, "\(path): \(String(decoding: answer.body, as: UTF8.self))")
        return try JSONValue(jsonString: String(decoding: answer.body, as: UTF8.self))
    }

    @Test func runsParamsMetricsArtifactsVersionsAndTheChampionAliasReachMLflow() async throws {
        let harness = try await TrainHarness(overrides: ["MLFLOW_TRACKING_URI": Self.uri])
        defer { harness.environment.removeFiles() }
        let experiment = "mlopsd-test-\(UUID().uuidString.prefix(8))"
        let (leaderboard, promoted) = try await harness.run { client in
            let features = try await client.dataVersion(
                csv: TrainRoleTests.penguins, name: "penguins", target: "species", features: ["encoding": "one_hot"], token: harness.admin)
            let job = try await client.finishedJob(
                try await client.send(
                    .post, "/api/v1/train",
                    json: [
                        "features_version": .string(features), "experiment_name": .string(experiment),
                        "model_types": ["logistic_regression", "random_forest", "gradient_boosting"],
                        "hyperparameters": ["random_forest": ["n_estimators": 25], "gradient_boosting": ["n_estimators": 30]],
                    ], token: harness.admin), role: "train", token: harness.admin)
            #expect(job["status"] == "completed", "\(job)")
            #expect(job["result"]?["tracker"] == "mlflow")
            #expect(job["result"]?["tracking_errors"] == 0, "\(job)")
            let promoted = try await client.send(
                .post, "/api/v1/train/fetch-best-model", json: ["experiment_name": .string(experiment), "metric": "f1"], token: harness.admin)
            #expect(promoted.status == .ok, "\(String(buffer: promoted.body))")
            // The run page reads the run back from MLflow.
            let board = try #require(job["result"]?["leaderboard"])
            try await TrainRoleTests().expectRunPage(client, runID: try #require(board[0]?["run_id"]?.stringValue), token: harness.admin)
            return (try #require(job["result"]?["leaderboard"]), try promoted.json())
        }

        let found = try await Self.mlflowJSON(.GET, "/api/2.0/mlflow/experiments/get-by-name?experiment_name=\(experiment)")
        let experimentID = try #require(found["experiment"]?["experiment_id"]?.stringValue)
        let search = try await Self.mlflowJSON(.POST, "/api/2.0/mlflow/runs/search", json: ["experiment_ids": [.string(experimentID)], "max_results": 10])
        #expect(search["runs"]?.arrayCount == 3)
        for index in 0..<3 {
            let run = try #require(search["runs"]?[index])
            #expect(run["info"]?["status"] == "FINISHED")
            let tags = run["data"]?["tags"]
            let tagNames = (0..<(tags?.arrayCount ?? 0)).compactMap { tags?[$0]?["key"]?.stringValue }
            #expect(Set(["model_type", "data_version", "mlopsd_version", "features_version"]).isSubset(of: tagNames), "\(tagNames)")
            let metrics = run["data"]?["metrics"]
            let metricNames = (0..<(metrics?.arrayCount ?? 0)).compactMap { metrics?[$0]?["key"]?.stringValue }
            #expect(Set(["accuracy", "f1", "roc_auc", "fit_seconds"]).isSubset(of: metricNames), "\(metricNames)")
            let params = run["data"]?["params"]
            #expect((params?.arrayCount ?? 0) >= 5)

            // The bundle is downloadable through the artifact proxy and loads; the plots are there.
            let artifactURI = try #require(run["info"]?["artifact_uri"]?.stringValue)
            let location = artifactURI.replacingOccurrences(of: "mlflow-artifacts:/", with: "")
            let bundle = try await Self.mlflow(.GET, "/api/2.0/mlflow-artifacts/artifacts/\(location)/model/model.mlbundle")
            #expect(bundle.status == 200)
            #expect(try ModelBundle.load(from: Data(bundle.body)).classLabels == ["Adelie", "Chinstrap", "Gentoo"])
            let plots = try await Self.mlflowJSON(.GET, "/api/2.0/mlflow-artifacts/artifacts?path=\(location)/plots")
            #expect((plots["files"]?.arrayCount ?? 0) >= 2, "\(plots)")
        }
        for index in 0..<3 {
            let name = try #require(leaderboard[index]?["model_name"]?.stringValue)
            let registered = try await Self.mlflowJSON(.GET, "/api/2.0/mlflow/registered-models/get?name=\(name)")
            #expect(registered["registered_model"]?["name"]?.stringValue == name)
            let versions = try await Self.mlflowJSON(.GET, "/api/2.0/mlflow/model-versions/search?filter=name%3D%27\(name)%27")
            #expect(versions["model_versions"]?[0]?["run_id"] == leaderboard[index]?["run_id"])
        }
        let champion = try #require(promoted["champion"])
        let alias = try await Self.mlflowJSON(
            .GET, "/api/2.0/mlflow/registered-models/alias?name=\(try #require(champion["model_name"]?.stringValue))&alias=champion")
        #expect(alias["model_version"]?["version"] == champion["version"])
        #expect(alias["model_version"]?["run_id"] == champion["run_id"])
        #expect(promoted["tracking_error"] == nil || promoted["tracking_error"] == .null)
    }
}

extension MLflowTrackingTests {
    /// A search's trials are MLflow nested runs of the model's run; a promotion never picks one.
    @Test func searchTrialsAreNestedRunsThatPromotionPassesOver() async throws {
        let harness = try await TrainHarness(overrides: ["MLFLOW_TRACKING_URI": Self.uri])
        defer { harness.environment.removeFiles() }
        let experiment = "mlopsd-tuning-\(UUID().uuidString.prefix(8))"
        let (parent, champion) = try await harness.run { client in
            let processed = try await client.dataVersion(csv: TrainRoleTests.penguins, name: "penguins", target: "species", features: nil, token: harness.admin)
            let job = try await client.finishedJob(
                try await client.send(
                    .post, "/api/v1/train",
                    json: [
                        "processed_version": .string(processed), "experiment_name": .string(experiment), "model_types": ["logistic_regression"],
                        "tuning": ["trials": 3],
                    ], token: harness.admin), role: "train", token: harness.admin)
            #expect(job["result"]?["tracking_errors"] == 0, "\(job)")
            let promoted = try await client.send(.post, "/api/v1/train/fetch-best-model", json: ["experiment_name": .string(experiment)], token: harness.admin)
            return (try #require(job["result"]?["leaderboard"]?[0]?["run_id"]?.stringValue), try promoted.json()["champion"]?["run_id"]?.stringValue)
        }
        #expect(champion == parent)
        let found = try await Self.mlflowJSON(.GET, "/api/2.0/mlflow/experiments/get-by-name?experiment_name=\(experiment)")
        let experimentID = try #require(found["experiment"]?["experiment_id"]?.stringValue)
        let children = try await Self.mlflowJSON(
            .POST, "/api/2.0/mlflow/runs/search",
            json: ["experiment_ids": [.string(experimentID)], "filter": .string("tags.mlflow.parentRunId = '\(parent)'"), "max_results": 10])
        #expect(children["runs"]?.arrayCount == 3)
    }

    /// Several workers asking for the same new experiment at once all get the one MLflow created.
    @Test func experimentCreationIsRaceSafe() async throws {
        let tracker = MLflowTracker(client: MLflowClient(configuration: .init(trackingURI: Self.uri)))
        let name = "race-\(UUID().uuidString.prefix(8))"
        let ids = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<6 { group.addTask { try await tracker.experimentID(named: name) } }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(ids.count == 6)
        #expect(Set(ids).count == 1)
        #expect(try await tracker.findExperiment(named: name) == ids.first)
        #expect(try await tracker.findExperiment(named: name + "-absent") == nil)
    }
}

@Suite struct TrackingOutageTests {
    /// With the tracking server unreachable, training still finishes: every model's bundle is
    /// kept locally and the result says tracking failed.
    @Test func trainingFinishesAndKeepsBundlesWhenMLflowIsDown() async throws {
        let harness = try await TrainHarness(overrides: [
            "MLFLOW_TRACKING_URI": "http://127.0.0.1:9", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "1",
            "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0.01", "MLFLOW_HTTP_REQUEST_TIMEOUT": "1",
        ])
        defer { harness.environment.removeFiles() }
        let models = harness.modelsDirectory
        try await harness.run { client in
            let processed = try await client.dataVersion(csv: TrainRoleTests.penguins, name: "penguins", target: "species", features: nil, token: harness.admin)
            let job = try await client.finishedJob(
                try await client.send(
                    .post, "/api/v1/train",
                    json: [
                        "processed_version": .string(processed), "model_types": ["logistic_regression", "decision_tree"],
                    ], token: harness.admin), role: "train", token: harness.admin)
            #expect(job["status"] == "completed", "\(job)")
            #expect(job["result"]?["tracking_errors"] == 2)
            for index in 0..<2 {
                let entry = try #require(job["result"]?["leaderboard"]?[index])
                #expect(entry["tracking_error"]?.stringValue?.isEmpty == false)
                let bundle = models.appendingPathComponent(try #require(entry["bundle_path"]?.stringValue))
                #expect(try ModelBundle.load(from: Data(contentsOf: bundle)).classLabels.count == 3)
            }
            let listed = try await client.send(.get, "/api/v1/train/models", token: harness.admin).json()
            #expect(listed["models"]?.arrayCount == 2)
            // Reading a run back needs the tracker: its failure is a 502, not a missing run.
            let run = try await client.send(.get, "/api/v1/train/runs/0123456789abcdef", token: harness.admin)
            #expect(run.status == .badGateway)
            #expect(run.errorCode == "tracking_unavailable")
            #expect(try await client.send(.get, "/api/v1/train/runs/not%20an%20id", token: harness.admin).status == .notFound)
        }
    }
}

/// Sends `request` on to the real MLflow server and returns its answer, for the proxies below.
func forward(_ request: Request, to upstream: String) async throws -> Response {
    var forwarded = HTTPClientRequest(url: upstream + request.uri.description)
    forwarded.method = NIOHTTP1.HTTPMethod(rawValue: request.method.rawValue)
    if let type = request.headers[.contentType] { forwarded.headers.add(name: "Content-Type", value: type) }
    forwarded.body = .bytes(try await request.body.collect(upTo: 64 << 20))
    let answer = try await HTTPClient.shared.execute(forwarded, timeout: .seconds(30))
    let body = try await answer.body.collect(upTo: 64 << 20)
    return Response(status: .init(code: Int(answer.status.code)), headers: [.contentType: "application/json"], body: .init(byteBuffer: body))
}

extension MLflowTrackingTests {
    /// A train role whose MLflow is reached through `proxy` (on a free loopback port), with
    /// short backoff and the given retries and timeout; its files go when `body` ends.
    static func throughProxy(
        _ proxy: Router<BasicRequestContext>, retries: Int, timeoutSeconds: Int? = nil, _ body: @Sendable (TrainHarness) async throws -> Void
    ) async throws {
        let app = Application(router: proxy, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { proxyClient in
            let port = try #require(proxyClient.port)
            var overrides = [
                "MLFLOW_TRACKING_URI": "http://127.0.0.1:\(port)", "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "\(retries)",
                "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0.01",
            ]
            if let timeoutSeconds { overrides["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "\(timeoutSeconds)" }
            let harness = try await TrainHarness(overrides: overrides)
            defer { harness.environment.removeFiles() }
            try await body(harness)
        }
    }
}

/// Forwards to the real MLflow server until the first model version is registered, then answers
/// 503 to everything: the tracking server going away in the middle of a training job.
final class FailingProxy: Sendable {
    private let down = Mutex(false)

    var isDown: Bool { down.withLock { $0 } }

    func router(upstream: String) -> Router<BasicRequestContext> {
        let router = Router()
        for method in [HTTPRequest.Method.get, .post, .put, .delete] {
            router.on("**", method: method) { request, _ -> Response in
                guard !self.isDown else { return Response(status: .serviceUnavailable) }
                let answer = try await forward(request, to: upstream)
                if request.uri.path.hasSuffix("model-versions/create") { self.down.withLock { $0 = true } }
                return answer
            }
        }
        return router
    }
}

/// Forwards to the real MLflow server, but loses the answer to the first `runs/create`: MLflow
/// created the run, the client hears 503, as through a proxy timing out.
final class LossyProxy: Sendable {
    private let creates = Mutex(0)

    var createCalls: Int { creates.withLock { $0 } }

    func router(upstream: String) -> Router<BasicRequestContext> {
        let router = Router()
        for method in [HTTPRequest.Method.get, .post, .put, .delete] {
            router.on("**", method: method) { request, _ -> Response in
                let answer = try await forward(request, to: upstream)
                if request.uri.path.hasSuffix("runs/create") {
                    let first = self.creates.withLock { count in
                        count += 1
                        return count == 1
                    }
                    if first { return Response(status: .serviceUnavailable) }
                }
                return answer
            }
        }
        return router
    }
}

extension MLflowTrackingTests {
    /// A create whose answer was lost is not sent again: one model, one run created in MLflow,
    /// and a tracking error on the entry instead of a duplicate run.
    @Test func aCreateWhoseAnswerWasLostIsNotRepeated() async throws {
        let proxy = LossyProxy()
        try await Self.throughProxy(proxy.router(upstream: Self.uri), retries: 3) { harness in
            try await harness.run { client in
                let processed = try await client.dataVersion(
                    csv: TrainRoleTests.penguins, name: "penguins", target: "species", features: nil, token: harness.admin)
                let job = try await client.finishedJob(
                    try await client.send(
                        .post, "/api/v1/train",
                        json: [
                            "processed_version": .string(processed), "experiment_name": .string("lossy-\(UUID().uuidString.prefix(8))"),
                            "model_types": ["logistic_regression"],
                        ], token: harness.admin), role: "train", token: harness.admin)
                #expect(job["status"] == "completed", "\(job)")
                #expect(proxy.createCalls == 1, "runs/create was sent \(proxy.createCalls) times")
                #expect(job["result"]?["leaderboard"]?[0]?["tracking_error"]?.stringValue?.contains("503") == true, "\(job)")
            }
        }
    }
}

extension MLflowTrackingTests {
    @Test func mlflowGoingDownMidJobLeavesTheJobCompletedAndEveryBundleKept() async throws {
        let proxy = FailingProxy()
        try await Self.throughProxy(proxy.router(upstream: Self.uri), retries: 1) { harness in
            let models = harness.modelsDirectory
            try await harness.run { client in
                let processed = try await client.dataVersion(
                    csv: TrainRoleTests.penguins, name: "penguins", target: "species", features: nil, token: harness.admin)
                let job = try await client.finishedJob(
                    try await client.send(
                        .post, "/api/v1/train",
                        json: [
                            "processed_version": .string(processed), "experiment_name": .string("outage-\(UUID().uuidString.prefix(8))"),
                            "model_types": ["logistic_regression", "decision_tree", "random_forest"],
                        ], token: harness.admin), role: "train", token: harness.admin)
                #expect(job["status"] == "completed", "\(job)")
                #expect(proxy.isDown)
                #expect(job["result"]?["tracking_errors"] == 2, "\(job)")
                let board = try #require(job["result"]?["leaderboard"])
                for index in 0..<3 {
                    let entry = try #require(board[index])
                    let bundle = models.appendingPathComponent(try #require(entry["bundle_path"]?.stringValue))
                    #expect(try ModelBundle.load(from: Data(contentsOf: bundle)).classLabels.count == 3)
                    if entry["model_type"] == "logistic_regression" {
                        #expect(entry["version"] == "1", "the model tracked before the outage was registered")
                    } else {
                        #expect(entry["tracking_error"]?.stringValue?.contains("503") == true, "\(entry)")
                    }
                }
            }
        }
    }
}

/// Forwards to the real MLflow server except for calls whose path ends in a chosen suffix, which
/// it answers 503 to or holds for `hold` without answering: MLflow failing or hanging at one
/// step, switchable between requests.
final class ScriptedProxy: Sendable {
    enum Fault: Sendable {
        case fail(String)
        case hang(String)
    }

    static let hold: Duration = .seconds(8)
    private let fault = Mutex<Fault?>(nil)
    private let hits = Mutex(0)

    func set(_ fault: Fault?) {
        self.fault.withLock { $0 = fault }
        hits.withLock { $0 = 0 }
    }

    /// Calls the current fault caught.
    var faulted: Int { hits.withLock { $0 } }

    func router(upstream: String) -> Router<BasicRequestContext> {
        let router = Router()
        for method in [HTTPRequest.Method.get, .post, .put, .delete] {
            router.on("**", method: method) { request, _ -> Response in
                switch self.fault.withLock({ $0 }) {
                case .fail(let suffix) where request.uri.path.hasSuffix(suffix):
                    self.hits.withLock { $0 += 1 }
                    return Response(status: .serviceUnavailable)
                case .hang(let suffix) where request.uri.path.hasSuffix(suffix):
                    self.hits.withLock { $0 += 1 }
                    try await Task.sleep(for: Self.hold)
                    return Response(status: .gatewayTimeout)
                default:
                    return try await forward(request, to: upstream)
                }
            }
        }
        return router
    }
}

extension MLflowTrackingTests {
    /// MLflow hanging mid-train costs each model one bounded call, never the job; hanging or
    /// failing mid-promotion answers within the bound: a champion that was published stays
    /// published (the alias is reported as a tracking error), one that could not be read from
    /// MLflow is refused with the reason and the previous champion is kept.
    @Test func mlflowHangingOrFailingMidTrainAndMidPromotionIsBounded() async throws {
        let proxy = ScriptedProxy()
        try await Self.throughProxy(proxy.router(upstream: Self.uri), retries: 1, timeoutSeconds: 1) { harness in
            let experiment = "faults-\(UUID().uuidString.prefix(8))"
            try await harness.run { client in
                let processed = try await client.dataVersion(
                    csv: TrainRoleTests.penguins, name: "penguins", target: "species", features: nil, token: harness.admin)
                proxy.set(.hang("runs/log-batch"))
                let job = try await client.finishedJob(
                    try await client.send(
                        .post, "/api/v1/train",
                        json: [
                            "processed_version": .string(processed), "experiment_name": .string(experiment),
                            "model_types": ["logistic_regression", "decision_tree"],
                        ], token: harness.admin), role: "train", token: harness.admin)
                #expect(job["status"] == "completed", "\(job)")
                #expect(job["result"]?["tracking_errors"] == 2, "\(job)")
                #expect(proxy.faulted >= 2)

                // Tracked normally this time, so that promotion has runs in MLflow to choose from.
                proxy.set(nil)
                let tracked = try await client.finishedJob(
                    try await client.send(
                        .post, "/api/v1/train",
                        json: [
                            "processed_version": .string(processed), "experiment_name": .string(experiment), "model_types": ["logistic_regression"],
                        ], token: harness.admin), role: "train", token: harness.admin)
                #expect(tracked["result"]?["tracking_errors"] == 0, "\(tracked)")

                proxy.set(.hang("registered-models/alias"))
                let promotion: JSONValue = ["experiment_name": .string(experiment), "metric": "accuracy"]
                let promoted = try await client.send(.post, "/api/v1/train/fetch-best-model", json: promotion, token: harness.admin)
                #expect(promoted.status == .ok, "\(String(buffer: promoted.body))")
                let champion = try promoted.json()
                #expect(champion["tracking_error"]?.stringValue?.isEmpty == false, "\(champion)")
                #expect(proxy.faulted >= 1)

                proxy.set(.fail("runs/search"))
                let refused = try await client.send(.post, "/api/v1/train/fetch-best-model", json: promotion, token: harness.admin)
                #expect(refused.status == .badGateway, "\(refused.status): \(String(buffer: refused.body))")
                #expect(refused.errorCode == "tracking_unavailable")
                let kept = try await client.send(.get, "/api/v1/train/models", token: harness.admin).json()
                #expect(kept["champion"]?["run_id"] == champion["champion"]?["run_id"])
            }
        }
    }
}
