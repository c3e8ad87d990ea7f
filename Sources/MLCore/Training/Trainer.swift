import Foundation

/// One trained model with its evaluation, ready to be written as a bundle.
public struct TrainedModel: Sendable {
    public var bundle: ModelBundle
    public var metrics: [String: Double]
    public var fitSeconds: Double
    public var crossValidation: [String: Double]?
    /// What the model said about the held-out rows, for plots (confusion matrix, ROC, residuals).
    public var heldOut: HeldOutPredictions
    /// Importance per feature, by feature name.
    public var featureImportances: [(name: String, importance: Double)]
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

        public init(
            modelType: String, parameters: Data? = nil, imbalance: ImbalanceHandling = .none, seed: UInt64 = 42,
            cvFolds: Int? = nil, dataVersion: String, preprocess: PreprocessSpec? = nil
        ) {
            self.modelType = modelType
            self.parameters = parameters
            self.imbalance = imbalance
            self.seed = seed
            self.cvFolds = cvFolds
            self.dataVersion = dataVersion
            self.preprocess = preprocess
        }
    }

    /// Fits the feature pipeline suited to the model type, unless `fittedPipeline` (a feature set
    /// built beforehand) is given: then every model sees the same features, imbalance handling included.
    public static func train(
        _ request: Request, split: PreprocessResult, target: String, fittedPipeline: FeaturePipeline? = nil,
        progress: FitProgress? = nil
    ) throws -> TrainedModel {
        progress?.plan(fits: (request.cvFolds ?? 0) + 1)
        let task = split.report.task
        let labels = split.report.classLabels ?? []
        var model = try ModelCatalog.make(request.modelType, parameters: request.parameters)
        var options =
            fittedPipeline?.options
            ?? ModelCatalog.featureOptions(for: request.modelType, imbalance: request.imbalance)
        if task == .regression { options.imbalance = .none }
        let pipeline = try fittedPipeline ?? FeaturePipeline.fit(split.train, target: target, options: options)
        var features = try pipeline.transform(split.train)
        var targets = try Targets(table: split.train, target: target, task: task, labels: labels)
        let test = try pipeline.transform(split.test)
        let testTargets = try Targets(table: split.test, target: target, task: task, labels: labels)

        var weights: [Double]?
        switch options.imbalance {
        case .none: break
        case .classWeights: weights = ClassWeights.balanced(targets)
        case .smote:
            let resampled = SMOTE.resample(features, targets, seed: request.seed)
            features = resampled.features
            targets = resampled.targets
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

        let clock = ContinuousClock()
        let elapsed = try clock.measure { try model.fit(features, targets, weights: weights, progress: progress) }
        progress?.completeFit()
        let fitSeconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let predicted = model.predict(test)
        let probabilities = model.predictProbabilities(test)
        let metrics = Evaluation.metrics(truth: testTargets, predicted: predicted, probabilities: probabilities)
        let bundle = ModelBundle(
            name: request.modelType, task: task, pipeline: pipeline, classLabels: labels, metrics: metrics,
            training: TrainingRecord(
                preprocess: request.preprocess, features: options, seed: request.seed, cvFolds: request.cvFolds,
                dataVersion: request.dataVersion, fitSeconds: fitSeconds
            ),
            model: model
        )
        return TrainedModel(
            bundle: bundle, metrics: metrics, fitSeconds: fitSeconds, crossValidation: crossValidation,
            heldOut: HeldOutPredictions(truth: testTargets, predicted: predicted, probabilities: probabilities),
            featureImportances: Array(zip(pipeline.featureNames, model.featureImportances)).map { (name: $0.0, importance: $0.1) }
        )
    }
}
