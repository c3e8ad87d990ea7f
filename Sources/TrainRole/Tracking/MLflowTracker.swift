import Foundation
import Kernel
import NIOHTTP1
import Synchronization

/// `ExperimentTracker` over MLflow's REST API (any MLflow server: a local one, DagsHub…): runs
/// with params, metrics and tags in batches, artifacts through the tracking server's proxy,
/// registered model versions and aliases.
struct MLflowTracker: ExperimentTracker {
    let client: MLflowClient
    /// A run's artifact location never changes: looked up once, not before every download.
    let artifactURIs = ArtifactURICache()

    var kind: String { "mlflow" }

    // MLflow's documented limits per `runs/log-batch` call.
    static let maxParamsPerBatch = 100
    static let maxItemsPerBatch = 1000

    func experimentID(named name: String) async throws -> String {
        if let id = try await findExperiment(named: name) { return id }
        do {
            let created = try await client.call(.POST, "experiments/create", json: ["name": .string(name)])
            guard let id = created["experiment_id"]?.stringValue else { throw TrackingError("experiments/create returned no id") }
            return id
        } catch let error as MLflowClient.ServerError where error.code == "RESOURCE_ALREADY_EXISTS" {
            // Another client created it between our lookup and our create.
            guard let id = try await findExperiment(named: name) else { throw error }
            return id
        }
    }

    func findExperiment(named name: String) async throws -> String? {
        do {
            let answer = try await client.call(.GET, "experiments/get-by-name", query: [("experiment_name", name)])
            return answer["experiment"]?["experiment_id"]?.stringValue
        } catch let error as MLflowClient.ServerError where error.code == "RESOURCE_DOES_NOT_EXIST" {
            return nil
        }
    }

    func startRun(experimentID: String, name: String, tags: [String: String]) async throws -> String {
        let answer = try await client.call(
            .POST, "runs/create",
            json: [
                "experiment_id": .string(experimentID),
                "run_name": .string(name),
                "start_time": .number(Self.milliseconds(Date())),
                "tags": Self.keyValues(tags.merging(["mlflow.runName": name]) { own, _ in own }),
            ])
        guard let id = answer["run"]?["info"]?["run_id"]?.stringValue else { throw TrackingError("runs/create returned no run id") }
        return id
    }

    func log(runID: String, params: [String: String], metrics: [String: Double], tags: [String: String]) async throws {
        let now = Self.milliseconds(Date())
        var pendingParams = params.sorted { $0.key < $1.key }[...]
        var pendingMetrics = metrics.filter { $0.value.isFinite }.sorted { $0.key < $1.key }[...]
        var pendingTags = tags.sorted { $0.key < $1.key }[...]
        while !pendingParams.isEmpty || !pendingMetrics.isEmpty || !pendingTags.isEmpty {
            let paramBatch = pendingParams.prefix(Self.maxParamsPerBatch)
            pendingParams = pendingParams.dropFirst(paramBatch.count)
            let metricBatch = pendingMetrics.prefix(Self.maxItemsPerBatch - paramBatch.count)
            pendingMetrics = pendingMetrics.dropFirst(metricBatch.count)
            let tagBatch = pendingTags.prefix(min(100, Self.maxItemsPerBatch - paramBatch.count - metricBatch.count))
            pendingTags = pendingTags.dropFirst(tagBatch.count)
            _ = try await client.call(
                .POST, "runs/log-batch",
                json: [
                    "run_id": .string(runID),
                    // MLflow caps a parameter value at 6000 characters.
                    "params": .array(paramBatch.map { ["key": .string($0.key), "value": .string(String($0.value.prefix(6000)))] }),
                    "metrics": .array(metricBatch.map { ["key": .string($0.key), "value": .number($0.value), "timestamp": .number(now), "step": 0] }),
                    "tags": .array(tagBatch.map { ["key": .string($0.key), "value": .string($0.value)] }),
                ])
        }
    }

    func uploadArtifact(runID: String, path: String, data: Data) async throws {
        _ = try await client.artifact(.PUT, artifactURI: try await artifactURI(runID: runID), path: path, body: Array(data))
    }

    func downloadArtifact(runID: String, path: String) async throws -> Data {
        do {
            return Data(try await client.artifact(.GET, artifactURI: try await artifactURI(runID: runID), path: path))
        } catch let error as MLflowClient.ServerError where error.status == 404 {
            throw MissingArtifact(runID: runID, path: path)
        }
    }

    func finishRun(runID: String, status: RunStatus) async throws {
        _ = try await client.call(
            .POST, "runs/update",
            json: [
                "run_id": .string(runID), "status": .string(status.rawValue), "end_time": .number(Self.milliseconds(Date())),
            ])
    }

    func run(id runID: String) async throws -> TrackedRun? {
        do {
            let answer = try await client.call(.GET, "runs/get", query: [("run_id", runID)])
            return answer["run"].flatMap(Self.run(from:))
        } catch let error as MLflowClient.ServerError where error.code == "RESOURCE_DOES_NOT_EXIST" {
            return nil
        }
    }

    func searchRuns(_ search: RunSearch) async throws -> [TrackedRun] {
        var experimentIDs = search.experimentIDs
        if experimentIDs.isEmpty {
            let answer = try await client.call(.POST, "experiments/search", json: ["max_results": 1000])
            experimentIDs = (0..<(answer["experiments"]?.arrayCount ?? 0)).compactMap { answer["experiments"]?[$0]?["experiment_id"]?.stringValue }
            if experimentIDs.isEmpty { return [] }
        }
        var filter = "attributes.status = 'FINISHED'"
        if let modelType = search.modelType { filter += " and tags.model_type = '\(modelType.replacingOccurrences(of: "'", with: ""))'" }
        let answer = try await client.call(
            .POST, "runs/search",
            json: [
                "experiment_ids": .array(experimentIDs.map { .string($0) }),
                "filter": .string(filter),
                "order_by": [.string("metrics.`\(search.metric)` \(search.higherIsBetter ? "DESC" : "ASC")")],
                "max_results": .number(Double(search.limit)),
            ])
        let runs = (0..<(answer["runs"]?.arrayCount ?? 0)).compactMap { answer["runs"]?[$0] }.compactMap(Self.run(from:))
        // Runs without the metric sort last in MLflow; they cannot compete on it.
        return runs.filter { $0.metrics[search.metric] != nil }
    }

    func registerModelVersion(modelName: String, runID: String, artifactPath: String) async throws -> String {
        do {
            _ = try await client.call(.POST, "registered-models/create", json: ["name": .string(modelName)])
        } catch let error as MLflowClient.ServerError where error.code == "RESOURCE_ALREADY_EXISTS" {
            // Registered by an earlier run: add a version to it.
        }
        let source = try await artifactURI(runID: runID) + "/" + artifactPath
        let answer = try await client.call(
            .POST, "model-versions/create",
            json: [
                "name": .string(modelName), "source": .string(source), "run_id": .string(runID),
            ])
        guard let version = answer["model_version"]?["version"]?.stringValue else {
            throw TrackingError("model-versions/create returned no version")
        }
        return version
    }

    func setAlias(modelName: String, alias: String, version: String) async throws {
        _ = try await client.call(
            .POST, "registered-models/alias",
            json: [
                "name": .string(modelName), "alias": .string(alias), "version": .string(version),
            ])
    }

    private func artifactURI(runID: String) async throws -> String {
        if let known = artifactURIs[runID] { return known }
        let answer = try await client.call(.GET, "runs/get", query: [("run_id", runID)])
        guard let uri = answer["run"]?["info"]?["artifact_uri"]?.stringValue else { throw TrackingError("run \(runID) has no artifact_uri") }
        artifactURIs[runID] = uri
        return uri
    }

    private static func run(from json: JSONValue) -> TrackedRun? {
        guard let info = json["info"], let runID = info["run_id"]?.stringValue else { return nil }
        func pairs(_ key: String) -> [(String, JSONValue)] {
            let list = json["data"]?[key]
            return (0..<(list?.arrayCount ?? 0)).compactMap { index in
                guard let item = list?[index], let name = item["key"]?.stringValue, let value = item["value"] else { return nil }
                return (name, value)
            }
        }
        var metrics: [String: Double] = [:]
        for (name, value) in pairs("metrics") { if case .number(let number) = value { metrics[name] = number } }
        return TrackedRun(
            runID: runID,
            experimentID: info["experiment_id"]?.stringValue ?? "",
            name: info["run_name"]?.stringValue ?? runID,
            status: RunStatus(rawValue: info["status"]?.stringValue ?? "") ?? .failed,
            startTime: date(info["start_time"]) ?? Date(timeIntervalSince1970: 0),
            endTime: date(info["end_time"]),
            params: Dictionary(pairs("params").compactMap { name, value in value.stringValue.map { (name, $0) } }, uniquingKeysWith: { first, _ in first }),
            metrics: metrics,
            tags: Dictionary(pairs("tags").compactMap { name, value in value.stringValue.map { (name, $0) } }, uniquingKeysWith: { first, _ in first })
        )
    }

    private static func date(_ value: JSONValue?) -> Date? {
        // MLflow sends milliseconds, as a number or (from some versions) a string.
        if case .number(let ms)? = value { return Date(timeIntervalSince1970: ms / 1000) }
        if let text = value?.stringValue, let ms = Double(text) { return Date(timeIntervalSince1970: ms / 1000) }
        return nil
    }

    private static func keyValues(_ pairs: [String: String]) -> JSONValue {
        .array(pairs.sorted { $0.key < $1.key }.map { ["key": .string($0.key), "value": .string($0.value)] })
    }

    private static func milliseconds(_ date: Date) -> Double {
        (date.timeIntervalSince1970 * 1000).rounded()
    }
}

/// Artifact locations by run id, bounded: past its capacity it starts again empty.
final class ArtifactURICache: Sendable {
    private let entries = Mutex<[String: String]>([:])
    private let capacity = 1024

    subscript(runID: String) -> String? {
        get { entries.withLock { $0[runID] } }
        set {
            entries.withLock { entries in
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
                entries[runID] = newValue
            }
        }
    }
}
