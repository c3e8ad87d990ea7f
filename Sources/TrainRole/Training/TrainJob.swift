import Foundation
import Kernel
import Logging
import MLCore
import Synchronization

/// `train`: fits each requested model type on one data version, evaluates it on the held-out
/// split, records a run per model (parameters, metrics, tags, bundle and plots) with the tracker,
/// registers a model version, and returns the leaderboard.
struct TrainJob: Sendable {
    static let type = "train"
    static let bundleArtifact = "model/model.mlbundle"
    /// Where runs recorded before compact bundles keep theirs.
    static let jsonBundleArtifact = "model/bundle.json"
    static let importanceArtifact = "feature_importance.json"
    /// Which plots a run drew (`confusion_matrix,roc_curve,…`), so reading them back needs no probing.
    static let plotsTag = "mlopsd_plots"

    let tracker: any ExperimentTracker
    let registry: any ModelRegistry
    let dataDirectory: URL
    let modelsDirectory: URL
    /// For the whole job, every model it fits together.
    let maxDuration: Duration
    let logger: Logger

    var kind: JobKind {
        JobKind(name: Self.type, aliases: ["training"], maxConcurrent: 1) { execution in try await run(execution) }
    }

    /// One leaderboard row, as the API defines it.
    typealias Entry = Components.Schemas.LeaderboardEntry

    func run(_ execution: JobExecution) async throws -> JSONValue {
        let request = try execution.params.decode(TrainRequest.self)
        let deadline = ContinuousClock.now + maxDuration
        try await execution.progress(2, "reading the training data")
        let dataDirectory = self.dataDirectory
        let loadingStarted = ContinuousClock.now
        let data = try await Offload.run { try TrainingData.load(request, dataDirectory: dataDirectory) }
        logger.info("training data read", metadata: ["seconds": "\((ContinuousClock.now - loadingStarted).seconds)"])
        let task = data.split.report.task
        let metric = try request.metric(for: task)

        var entries: [Entry] = []
        for (index, modelType) in request.modelTypes.enumerated() {
            let share = 90 / request.modelTypes.count
            let label = "training \(modelType) (\(index + 1) of \(request.modelTypes.count))"
            try await execution.progress(5 + index * share, label)
            let trainerRequest = Trainer.Request(
                modelType: modelType,
                parameters: request.hyperparameters[modelType].map { Data($0.jsonString().utf8) },
                imbalance: request.imbalance, seed: request.seed, cvFolds: request.cvFolds,
                dataVersion: data.dataVersion,
                preprocess: try? data.processedManifest.parameters.decode(PreprocessSpec.self), metric: metric, tuning: request.tuning
            )
            let split = data.split
            let target = data.manifest.target
            let pipeline = data.pipeline
            let trained: TrainedModel
            let clock = ContinuousClock()
            let trainingStarted = clock.now
            do {
                trained = try await Self.reportingProgress(
                    execution, from: 5 + index * share, span: share, label: label, deadline: deadline, maxDuration: maxDuration
                ) { progress in
                    try Trainer.train(trainerRequest, split: split, target: target, fittedPipeline: pipeline, progress: progress)
                }
            } catch let error as ModelError {
                throw JobFailure("\(modelType): \(error)")
            }
            try await execution.checkCancellation()
            let recordingStarted = clock.now
            entries.append(try await record(trained, modelType: modelType, request: request, data: data, execution: execution))
            // Where a job's time goes: every fit (fitting: the search, cross-validation, the
            // threshold's probe, the final fit), the pipeline and held-out predictions (the rest of
            // training), bundles, plots and tracking (recording).
            logger.info(
                "model trained",
                metadata: [
                    "model_type": "\(modelType)", "fit_seconds": "\(trained.fitSeconds)", "fitting_seconds": "\(trained.fittingSeconds)",
                    "training_seconds": "\((recordingStarted - trainingStarted).seconds)", "recording_seconds": "\((clock.now - recordingStarted).seconds)",
                ])
        }
        entries.sort { metric.ranks($0.metrics.additionalProperties, above: $1.metrics.additionalProperties) }
        let result = Components.Schemas.TrainingResult(
            metric: metric.rawValue,
            task: task == .classification ? .classification : .regression,
            experimentName: request.experimentName,
            tracker: tracker.kind,
            dataVersion: data.dataVersion,
            best: entries.first?.modelName,
            trackingErrors: entries.filter { $0.trackingError != nil }.count,
            leaderboard: entries
        )
        return try JSONValue(encoding: result)
    }

    /// Runs a fit on the thread pool while the job's progress follows its trees or rounds (a
    /// quarter-second cadence keeps SQLite writes cheap). A cancel or the deadline stops the fit
    /// at its next tree or round rather than after the whole model.
    static func reportingProgress(
        _ execution: JobExecution, from start: Int, span: Int, label: String, deadline: ContinuousClock.Instant, maxDuration: Duration,
        _ fit: @escaping @Sendable (FitProgress) throws -> TrainedModel
    ) async throws -> TrainedModel {
        let progress = FitProgress()
        let overtime = Overtime()
        do {
            return try await withThrowingTaskGroup(of: TrainedModel?.self) { group in
                group.addTask { try await Offload.run { try fit(progress) } }
                group.addTask {
                    do {
                        while true {
                            try await Task.sleep(for: .milliseconds(250))
                            guard ContinuousClock.now < deadline else {
                                overtime.mark()
                                progress.requestStop()
                                return nil
                            }
                            let fraction = progress.fraction
                            try await execution.progress(start + Int(fraction * Double(max(span - 1, 0))), "\(label): \(Int(fraction * 100))%")
                        }
                    } catch {
                        // A cancel through the API, or the job cancelled by a shutdown.
                        progress.requestStop()
                        throw error
                    }
                }
                while let finished = try await group.next() {
                    if let trained = finished {
                        group.cancelAll()
                        return trained
                    }
                }
                throw JobFailure("\(label) ended without a model")
            }
        } catch is FitStopped where overtime.happened {
            throw JobFailure("training took longer than MLOPSD_TRAIN_MAX_SECONDS (\(maxDuration.components.seconds) s) and was stopped")
        } catch is FitStopped {
            if Task.isCancelled { throw CancellationError() }
            throw JobCancelled()
        }
    }

    /// Whether the deadline stopped the fit, set by the progress task.
    final class Overtime: Sendable {
        private let flag = Mutex(false)
        var happened: Bool { flag.withLock { $0 } }
        func mark() { flag.withLock { $0 = true } }
    }

    /// Keeps the bundle and plots on local disk first, then tells the tracker; a tracker failure
    /// is reported in the entry and never loses the model.
    private func record(
        _ trained: TrainedModel, modelType: String, request: TrainRequest, data: TrainingData, execution: JobExecution
    ) async throws -> Entry {
        let metrics = trained.metrics.filter { $0.value.isFinite }
        let modelName = "\(request.experimentName)-\(modelType)"
        let localDirectory = modelsDirectory.appendingPathComponent("runs/\(execution.job.jobID)/\(modelType)")
        // Encoding a forest's bundle and drawing the plots is CPU work: off the cooperative pool.
        let (bundleData, plots, importanceData) = try await Offload.run {
            let bundleData = try trained.bundle.fileData()
            let plots = Self.plots(for: trained)
            let importances = trained.featureImportances.map { FeatureImportance(feature: $0.name, importance: $0.importance.isFinite ? $0.importance : 0) }
            let importanceData = Data(try JSONValue(encoding: importances).jsonString().utf8)
            try Durable.makeDirectory(localDirectory.appendingPathComponent("plots"))
            // Durable: the registry row added below names the bundle.
            try Durable.write(bundleData, to: localDirectory.appendingPathComponent("model.mlbundle"))
            try importanceData.write(to: localDirectory.appendingPathComponent(Self.importanceArtifact), options: .atomic)
            for (name, svg) in plots {
                try Data(svg.utf8).write(to: localDirectory.appendingPathComponent("plots/\(name)"), options: .atomic)
            }
            return (bundleData, plots, importanceData)
        }
        let bundlePath = "runs/\(execution.job.jobID)/\(modelType)/model.mlbundle"
        FaultPoint.modelStored.reached()

        var entry = Entry(
            modelType: modelType, modelName: modelName, metrics: .init(additionalProperties: metrics),
            crossValidation: trained.crossValidation.map { .init(additionalProperties: $0) }, fitSeconds: trained.fitSeconds, bundlePath: bundlePath,
            plots: plots.map { "runs/\(execution.job.jobID)/\(modelType)/plots/\($0.name)" }, trackingError: nil,
            tuning: trained.tuning.map(Self.summary), decisionThreshold: trained.decisionThreshold
        )
        var runID: String?
        do {
            let experimentID = try await tracker.experimentID(named: request.experimentName)
            let id = try await tracker.startRun(experimentID: experimentID, name: modelType, tags: runTags(modelType, data: data, job: execution.job))
            runID = id
            entry.runId = id
            var runMetrics = metrics
            for (name, value) in trained.crossValidation ?? [:] where value.isFinite { runMetrics["cv_\(name)"] = value }
            runMetrics["fit_seconds"] = trained.fitSeconds
            try await tracker.log(
                runID: id, params: try Self.params(trained.bundle, request: request), metrics: runMetrics,
                tags: [Self.plotsTag: plots.map { String($0.name.dropLast(".svg".count)) }.joined(separator: ",")])
            try await tracker.uploadArtifact(runID: id, path: Self.bundleArtifact, data: bundleData)
            try await tracker.uploadArtifact(runID: id, path: Self.importanceArtifact, data: importanceData)
            for (name, svg) in plots { try await tracker.uploadArtifact(runID: id, path: "plots/\(name)", data: Data(svg.utf8)) }
            try await tracker.finishRun(runID: id, status: .finished)
            entry.version = try await tracker.registerModelVersion(modelName: modelName, runID: id, artifactPath: "model")
            if let tuning = trained.tuning {
                // After the registration: a trial that fails to be tracked costs only its own record.
                do {
                    try await logTrials(tuning, parent: id, experimentID: experimentID, modelType: modelType, data: data, job: execution.job)
                } catch {
                    entry.trackingError = "trials: \(error)"
                    logger.warning("tracking the search's trials failed", metadata: ["model_type": "\(modelType)", "error": "\(error)"])
                }
            }
        } catch {
            entry.trackingError = "\(error)"
            logger.warning("tracking failed; the bundle is kept locally", metadata: ["model_type": "\(modelType)", "error": "\(error)"])
            if let runID { try? await tracker.finishRun(runID: runID, status: .failed) }
        }
        try await registry.add(
            ModelVersion(
                name: modelName, version: entry.version ?? "local-\(execution.job.jobID.prefix(8))", modelType: modelType,
                runID: runID ?? "local-\(execution.job.jobID)-\(modelType)", experimentName: request.experimentName, metrics: metrics,
                bundlePath: bundlePath, dataVersion: data.dataVersion, jobID: execution.job.jobID
            ))
        FaultPoint.modelRegistered.reached()
        return entry
    }

    /// Each trial of a search as a child run of the model's run (MLflow's nested runs). Its
    /// metrics are cross-validated means named `cv_…`: a trial has no bundle, and a promotion,
    /// which ranks runs by the plain metric names, never picks one.
    private func logTrials(_ tuning: TuningReport, parent: String, experimentID: String, modelType: String, data: TrainingData, job: Job) async throws {
        for trial in tuning.trials {
            var tags = runTags(modelType, data: data, job: job)
            tags["mlflow.parentRunId"] = parent
            tags["mlopsd.trial"] = String(trial.number)
            let id = try await tracker.startRun(experimentID: experimentID, name: "\(modelType) trial \(trial.number)", tags: tags)
            var metrics: [String: Double] = ["search_score": trial.score, "trial_seconds": trial.seconds, "trial_rows": Double(trial.rows)]
            for (name, value) in trial.metrics where value.isFinite { metrics["cv_\(name)"] = value }
            let params = trial.parameters.mapValues(\.description).merging(["search_method": tuning.method.rawValue]) { mine, _ in mine }
            try await tracker.log(runID: id, params: params, metrics: metrics.filter { $0.value.isFinite }, tags: [:])
            try await tracker.finishRun(runID: id, status: .finished)
        }
    }

    static func summary(_ tuning: TuningReport) -> Components.Schemas.TuningSummary {
        .init(
            method: .init(rawValue: tuning.method.rawValue) ?? .random, metric: tuning.metric.rawValue, trials: tuning.trials.count,
            bestTrial: tuning.best.number, bestScore: tuning.best.score.isFinite ? tuning.best.score : nil, seconds: tuning.seconds,
            stoppedByBudget: tuning.stoppedByBudget)
    }

    private func runTags(_ modelType: String, data: TrainingData, job: Job) -> [String: String] {
        var tags = [
            "model_type": modelType,
            "data_version": data.dataVersion,
            "mlopsd_version": MLOpsVersion.current,
            "mlopsd_job_id": job.jobID,
            "mlflow.user": job.createdBy,
            "processed_version": data.processedManifest.version,
        ]
        if data.manifest.kind == "features" { tags["features_version"] = data.manifest.version }
        return tags
    }

    /// Hyperparameters as resolved (defaults filled in), flattened to strings as MLflow stores them.
    static func params(_ bundle: ModelBundle, request: TrainRequest) throws -> [String: String] {
        var params: [String: String] = [
            "model_type": bundle.modelType,
            "seed": String(request.seed),
            "feature_encoding": bundle.pipeline.options.encoding.rawValue,
            "feature_scale": String(bundle.pipeline.options.scale),
            "imbalance": bundle.training.features.imbalance.rawValue,
            "feature_count": String(bundle.pipeline.featureNames.count),
        ]
        if let folds = request.cvFolds { params["cv_folds"] = String(folds) }
        if let threshold = bundle.decisionThreshold { params["decision_threshold"] = String(threshold) }
        if let tuning = request.tuning {
            params["tuning_method"] = tuning.method.rawValue
            params["tuning_trials"] = String(tuning.trials)
        }
        let encoded = try JSONValue(encoding: AnyModelParameters(bundle.model))
        if case .object(let members) = encoded {
            for (key, value) in members { params[key] = value.stringValue ?? value.jsonString() }
        }
        return params
    }

    static func plots(for trained: TrainedModel) -> [(name: String, svg: String)] {
        var plots: [(String, String)] = []
        let heldOut = trained.heldOut
        switch heldOut.truth.task {
        case .classification:
            plots.append(
                (
                    "confusion_matrix.svg",
                    SVGPlot.confusionMatrix(
                        truth: heldOut.truth.classes, predicted: heldOut.predicted.map { Int($0) }, labels: heldOut.truth.labels
                    )
                ))
            if heldOut.truth.classCount == 2, let probabilities = heldOut.probabilities {
                plots.append(
                    (
                        "roc_curve.svg",
                        SVGPlot.rocCurve(
                            truth: heldOut.truth.classes.map { $0 == 1 }, scores: probabilities.map { $0[1] }, auc: trained.metrics["roc_auc"]
                        )
                    ))
            }
        case .regression:
            plots.append(("residuals.svg", SVGPlot.residuals(truth: heldOut.truth.values, predicted: heldOut.predicted)))
        }
        if !trained.featureImportances.isEmpty {
            plots.append(("feature_importance.svg", SVGPlot.featureImportance(trained.featureImportances)))
        }
        return plots
    }
}

private struct FeatureImportance: Encodable {
    let feature: String
    let importance: Double
}

/// Encodes a model's hyperparameters without knowing its concrete type.
private struct AnyModelParameters: Encodable {
    let model: any Model

    init(_ model: any Model) {
        self.model = model
    }

    func encode(to encoder: any Encoder) throws {
        try model.parameters.encode(to: encoder)
    }
}
