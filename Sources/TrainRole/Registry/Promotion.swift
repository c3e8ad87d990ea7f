import Crypto
import Foundation
import Hummingbird
import Kernel
import MLCore

/// `POST /fetch-best-model`: which runs compete and what the winner must reach.
struct PromotionRequest: Sendable {
    var metric: String?
    var modelType: String?
    var experimentName: String?
    /// Gates: a metric where higher is better must be at least its value; one where lower is
    /// better (rmse, mae, log_loss…) must be at most its value.
    var minMetrics: [String: Double] = [:]
}

/// Picks the best finished run by a metric, applies the gates, and publishes it as the champion
/// with a verified copy of its bundle (and the `champion` alias, when the tracker has one).
struct Promotion: Sendable {
    let tracker: any ExperimentTracker
    let registry: any ModelRegistry
    let champions: any ChampionStore
    let championChanges: ChampionChanges

    struct Outcome: Encodable {
        var champion: ChampionPointer
        var previous: ChampionPointer?
        var candidates: Int
        var trackingError: String?

        enum CodingKeys: String, CodingKey {
            case champion, previous, candidates
            case trackingError = "tracking_error"
        }
    }

    func promote(_ request: PromotionRequest, by user: String) async throws -> Outcome {
        let known = Metric.allCases.map(\.rawValue).joined(separator: ", ")
        if let metric = request.metric, Metric(rawValue: metric) == nil {
            throw APIError.validation(field: "metric", problem: "unknown metric '\(metric)'; use one of \(known)")
        }
        for name in request.minMetrics.keys.sorted() where Self.gateMetric(name) == nil {
            throw APIError.validation(field: "min_metrics.\(name)", problem: "unknown metric; use one of \(known), or one of them prefixed with cv_")
        }
        var experimentIDs: [String] = []
        if let name = request.experimentName {
            guard let id = try await Self.fromTracker({ try await tracker.findExperiment(named: name) }) else {
                throw APIError(
                    .notFound, code: "not_found", message: "No experiment named '\(name)'",
                    details: [FieldProblem(field: "experiment_name", problem: "does not exist")])
            }
            experimentIDs = [id]
        }
        let (ranking, candidates) = try await Self.fromTracker { try await rankedRuns(request, experimentIDs: experimentIDs) }
        let metric = ranking.rawValue
        guard let best = candidates.first else {
            throw APIError(
                .notFound, code: "no_runs",
                message: "No finished run reports '\(metric)'"
                    + (request.modelType.map { " for model type '\($0)'" } ?? ""))
        }
        guard let winner = candidates.first(where: { failedGates($0, request.minMetrics).isEmpty }) else {
            let failures = failedGates(best, request.minMetrics)
            throw APIError(
                .conflict, code: "gates_not_met",
                message: "No run passes the promotion gates; the best by \(metric) is \(best.tags["model_type"] ?? best.name) (run \(best.runID)) with "
                    + best.metrics.filter { request.minMetrics[$0.key] != nil || $0.key == metric }.sorted { $0.key < $1.key }
                    .map { "\($0.key)=\(SVGPlot.format($0.value))" }.joined(separator: ", "),
                details: failures
            )
        }

        let bundleData = try await Self.fromTracker { try await Self.bundle(ofRun: winner.runID, in: tracker) }
        let bundle: ModelBundle
        do {
            bundle = try ModelBundle.load(from: bundleData)
        } catch {
            throw APIError(.unprocessableContent, code: "invalid_bundle", message: "The bundle of run \(winner.runID) does not load: \(error)")
        }
        let registered = try await registry.version(runID: winner.runID)
        let modelType = winner.tags["model_type"] ?? bundle.modelType
        let name = registered?.name ?? "\(request.experimentName ?? TrainRequest.defaultExperiment)-\(modelType)"
        let version = registered?.version ?? "run-\(winner.runID)"

        let previous = try? await champions.current()
        let md5 = DataVersion.digest(of: bundleData).md5
        let pointer = ChampionPointer(
            modelName: name, version: version, modelType: modelType, runID: winner.runID, metric: metric,
            metrics: winner.metrics, bundlePath: ChampionPointer.bundlePath(modelName: name, version: version, md5: md5),
            bundleMD5: md5, tracker: tracker.kind, promotedAt: Date(), promotedBy: user
        )
        try await champions.publish(pointer, bundle: bundleData)
        FaultPoint.championPublished.reached()
        await championChanges.announce()

        var trackingError: String?
        if registered != nil {
            do {
                try await tracker.setAlias(modelName: name, alias: "champion", version: version)
            } catch {
                trackingError = "\(error)"
            }
        }
        return Outcome(champion: pointer, previous: previous, candidates: candidates.count, trackingError: trackingError)
    }

    /// The tracker failing or not answering is an upstream's failure: a 502 naming it, with
    /// nothing promoted, instead of a 500.
    static func fromTracker<Value>(_ call: () async throws -> Value) async throws -> Value {
        do {
            return try await call()
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError(.badGateway, code: "tracking_unavailable", message: "The experiment tracker failed: \(error)")
        }
    }

    /// Runs that report the metric, best first; without a metric, the classification default if
    /// any run has it, else the regression one.
    private func rankedRuns(_ request: PromotionRequest, experimentIDs: [String]) async throws -> (Metric, [TrackedRun]) {
        let metrics =
            request.metric.flatMap(Metric.init(rawValue:)).map { [$0] }
            ?? [Metric.default(for: .classification), Metric.default(for: .regression)]
        for metric in metrics {
            let runs = try await tracker.searchRuns(
                RunSearch(
                    experimentIDs: experimentIDs, modelType: request.modelType, metric: metric.rawValue,
                    higherIsBetter: metric.higherIsBetter, limit: 200
                ))
            if !runs.isEmpty || metric == metrics.last { return (metric, runs) }
        }
        return (metrics[0], [])
    }

    private func failedGates(_ run: TrackedRun, _ gates: [String: Double]) -> [FieldProblem] {
        gates.sorted { $0.key < $1.key }.compactMap { name, threshold in
            let field = "min_metrics.\(name)"
            guard let value = run.metrics[name] else { return FieldProblem(field: field, problem: "the run does not report \(name)") }
            let higher = Self.gateMetric(name)?.higherIsBetter ?? true
            guard higher ? value < threshold : value > threshold else { return nil }
            // Four significant digits: a gate of 0.9999 must not read as "needs ≥ 1".
            let figure = { (number: Double) in String(format: "%.4g", number) }
            return FieldProblem(
                field: field,
                problem: "best candidate has \(figure(value)), needs \(higher ? "≥" : "≤") \(figure(threshold)) (short by \(figure(abs(threshold - value))))")
        }
    }

    /// A gate names a metric or its cross-validated mean (`cv_f1`), which has its direction.
    static func gateMetric(_ name: String) -> Metric? {
        Metric(rawValue: name) ?? (name.hasPrefix("cv_") ? Metric(rawValue: String(name.dropFirst(3))) : nil)
    }

    /// The run's bundle; a run recorded before compact bundles has it under the JSON name.
    static func bundle(ofRun runID: String, in tracker: any ExperimentTracker) async throws -> Data {
        do {
            return try await tracker.downloadArtifact(runID: runID, path: TrainJob.bundleArtifact)
        } catch {
            guard let legacy = try? await tracker.downloadArtifact(runID: runID, path: TrainJob.jsonBundleArtifact) else { throw error }
            return legacy
        }
    }
}
