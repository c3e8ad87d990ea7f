import Foundation

/// One trained model with its evaluation, ready to be written as a bundle.
public struct TrainedModel: Sendable {
    public var bundle: ModelBundle
    public var metrics: [String: Double]
    public var fitSeconds: Double
    /// The search, cross-validation, the threshold's probe and the final fit, with the scoring
    /// the first three do on their held-out rows: what a job spends on fitting, against its
    /// pipeline, held-out predictions and recording.
    public var fittingSeconds: Double = 0
    public var crossValidation: [String: Double]?
    /// What the model said about the held-out rows, for plots (confusion matrix, ROC, residuals).
    public var heldOut: HeldOutPredictions
    /// Importance per feature, by feature name.
    public var featureImportances: [(name: String, importance: Double)]
    /// The cut on the positive class's probability it predicts with, when one was tuned.
    public var decisionThreshold: Double? { bundle.decisionThreshold }
    /// The hyperparameter search that chose its configuration, when the request asked for one.
    public var tuning: TuningReport?
}

public struct HeldOutPredictions: Sendable {
    public var truth: Targets
    /// Class indices (as Double) or values.
    public var predicted: [Double]
    public var probabilities: [[Double]]?
}

/// Trains one model type on a preprocessed split and evaluates it on the held-out rows: the
/// shared core of `mlopsd pipeline` and the train role.
public enum Trainer {
    public struct Request: Sendable {
        public var modelType: String
        public var parameters: Data?
        public var imbalance: ImbalanceHandling
        public var seed: UInt64
        public var cvFolds: Int?
        public var dataVersion: String
        public var preprocess: PreprocessSpec?
        /// The job's metric, which a tuned decision threshold maximises.
        public var metric: Metric?
        /// Search hyperparameters before the fit; `parameters` stay fixed in the search.
        public var tuning: TuningOptions?

        public init(
            modelType: String, parameters: Data? = nil, imbalance: ImbalanceHandling = .auto, seed: UInt64 = 42,
            cvFolds: Int? = nil, dataVersion: String, preprocess: PreprocessSpec? = nil, metric: Metric? = nil, tuning: TuningOptions? = nil
        ) {
            self.modelType = modelType
            self.parameters = parameters
            self.imbalance = imbalance
            self.seed = seed
            self.cvFolds = cvFolds
            self.dataVersion = dataVersion
            self.preprocess = preprocess
            self.metric = metric
            self.tuning = tuning
        }
    }

    /// Fits the feature pipeline suited to the model type, unless `fittedPipeline` (a feature set
    /// built beforehand) is given: then every model sees the same features, imbalance handling included.
    ///
    /// With `imbalance: .auto`, an imbalanced binary target (`DecisionThreshold.isImbalanced`) gets a
    /// decision threshold tuned for the job's metric on a fifth of the training rows, held out from
    /// a first fit; the model is then fitted on all of them. Class weights are not added: on
    /// crashes (4.5% deaths) they lowered the forest's and boosting's ROC AUC by 0.007–0.010 and
    /// spoiled the probabilities (log loss 0.14 → 0.23), and with the threshold tuned the F1 was
    /// within 0.01 of the weighted fit's (docs/benchmarks.md).
    public static func train(
        _ request: Request, split: PreprocessResult, target: String, fittedPipeline: FeaturePipeline? = nil,
        progress: FitProgress? = nil
    ) throws -> TrainedModel {
        let task = split.report.task
        let labels = split.report.classLabels ?? []
        var model = try ModelCatalog.make(request.modelType, parameters: request.parameters)
        var targets = try Targets(table: split.train, target: target, task: task, labels: labels)
        let imbalanced = DecisionThreshold.isImbalanced(targets)
        var options =
            fittedPipeline?.options
            ?? ModelCatalog.featureOptions(for: request.modelType, imbalance: request.imbalance)
        if task == .regression { options.imbalance = .none }
        if options.imbalance == .auto { options.imbalance = .none }
        // Not on SMOTE's synthetic rows: the threshold is chosen on real ones.
        let tunesThreshold =
            request.imbalance == .auto && options.imbalance != .smote && imbalanced && labels.count == 2
            && request.modelType != BaselineModel.modelType
        let searchFits = request.tuning.map { HyperparameterSearch.plannedFits($0, modelType: request.modelType) } ?? 0
        progress?.plan(fits: searchFits + (request.cvFolds ?? 0) + 1 + (tunesThreshold ? 1 : 0))
        let pipeline = try fittedPipeline ?? FeaturePipeline.fit(split.train, target: target, options: options)
        var features = try pipeline.transform(split.train)
        let test = try pipeline.transform(split.test)
        let testTargets = try Targets(table: split.test, target: target, task: task, labels: labels)

        var weights: [Double]?
        switch options.imbalance {
        case .none, .auto: break
        case .classWeights: weights = ClassWeights.balanced(targets)
        case .smote:
            let resampled = SMOTE.resample(features, targets, seed: request.seed)
            features = resampled.features
            targets = resampled.targets
        }

        let metric = request.metric ?? .default(for: task)
        let clock = ContinuousClock()
        let fittingStarted = clock.now
        var tuning: TuningReport?
        if let options = request.tuning {
            // With a threshold to tune afterwards, configurations compete on ranking (ROC AUC),
            // which the threshold cannot change, not on F1 at 0.5.
            let searchMetric = tunesThreshold && DecisionThreshold.tunable.contains(metric) ? Metric.rocAUC : metric
            let report = try HyperparameterSearch.run(
                modelType: request.modelType, fixed: request.parameters, features: features, targets: targets, weights: weights,
                metric: searchMetric, options: options, seed: request.seed, progress: progress)
            model = try ModelCatalog.make(request.modelType, parameters: report.bestParameters)
            tuning = report
        }

        var threshold: Double?
        if tunesThreshold {
            threshold = try tunedThreshold(
                model, features: features, targets: targets, weights: weights, metric: metric, seed: request.seed,
                progress: progress)
        }

        var crossValidation: [String: Double]?
        if let folds = request.cvFolds {
            let results = try CrossValidation.run(
                model, features: features, targets: targets, folds: folds, seed: request.seed, weights: weights, progress: progress
            )
            var means: [String: Double] = [:]
            for result in results { for (name, value) in result.metrics { means[name, default: 0] += value / Double(results.count) } }
            crossValidation = means
        }

        let elapsed = try clock.measure { try model.fit(features, targets, weights: weights, progress: progress) }
        progress?.completeFit()
        let fitSeconds = elapsed.seconds
        let fittingSeconds = (clock.now - fittingStarted).seconds
        let probabilities = model.predictProbabilities(test)
        // Classes from the probabilities already computed: scoring the held-out rows twice was a
        // tenth of a forest's or boosting's job.
        let predicted = probabilities.map { rows in rows.map { Evaluation.predictedClass($0, threshold: threshold) } } ?? model.predict(test)
        let metrics = Evaluation.metrics(truth: testTargets, predicted: predicted, probabilities: probabilities)
        var bundle = ModelBundle(
            name: request.modelType, task: task, pipeline: pipeline, classLabels: labels, metrics: metrics,
            training: TrainingRecord(
                preprocess: request.preprocess, features: options, seed: request.seed, cvFolds: request.cvFolds,
                dataVersion: request.dataVersion, fitSeconds: fitSeconds
            ),
            model: model, decisionThreshold: threshold
        )
        // The raw training rows (before features and SMOTE's synthetic rows) and the model's
        // predictions on them: the reference the predict role measures what it serves against.
        bundle.referenceProfile = try ReferenceProfile(table: split.train, bundle: bundle)
        return TrainedModel(
            bundle: bundle, metrics: metrics, fitSeconds: fitSeconds, fittingSeconds: fittingSeconds, crossValidation: crossValidation,
            heldOut: HeldOutPredictions(truth: testTargets, predicted: predicted, probabilities: probabilities),
            featureImportances: Array(zip(pipeline.featureNames, model.featureImportances)).map { (name: $0.0, importance: $0.1) },
            tuning: tuning
        )
    }

    /// Fits a copy of `model` on four fifths of the rows (stratified) and chooses the threshold
    /// on the rest; nil when the model gives no probabilities or the rest holds too few positives.
    static func tunedThreshold(
        _ model: any Model, features: FeatureMatrix, targets: Targets, weights: [Double]?, metric: Metric, seed: UInt64,
        progress: FitProgress?
    ) throws -> Double? {
        let (fitRows, validationRows) = Splitting.stratified(classes: targets.classes, classCount: targets.classCount, testSize: 0.2, seed: seed)
        var probe = model.unfitted()
        try probe.fit(
            features.selecting(rows: fitRows), targets.selecting(rows: fitRows), weights: weights.map { w in fitRows.map { w[$0] } },
            progress: progress)
        progress?.completeFit()
        let classes = targets.classes
        guard validationRows.count(where: { classes[$0] == 1 }) >= DecisionThreshold.minimumPositives,
            let probabilities = probe.predictProbabilities(features.selecting(rows: validationRows))
        else { return nil }
        return DecisionThreshold.best(
            scores: probabilities.map { $0[1] }, positives: validationRows.map { classes[$0] == 1 }, metric: metric
        ).threshold
    }
}
