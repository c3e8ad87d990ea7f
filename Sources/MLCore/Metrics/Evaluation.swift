/// Metrics of a fitted model on held-out data, keyed by the names used in leaderboards and
/// tracking (`accuracy`, `f1`, `roc_auc`, `rmse`, …).
public enum Evaluation {
    /// The class index (as Double) a row of probabilities predicts: with a binary classifier's
    /// tuned threshold, the second class from that probability on; otherwise the likelier class
    /// (the first of equals, as every model's `predict`).
    public static func predictedClass(_ probabilities: [Double], threshold: Double? = nil) -> Double {
        if let threshold, probabilities.count == 2 { return probabilities[1] >= threshold ? 1 : 0 }
        return Double(probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0)
    }

    public static func metrics(truth: Targets, predicted: [Double], probabilities: [[Double]]?, positiveClass: Int? = nil) -> [String: Double] {
        switch truth.task {
        case .regression:
            return [
                "rmse": RegressionMetrics.rmse(truth: truth.values, predicted: predicted),
                "mae": RegressionMetrics.mae(truth: truth.values, predicted: predicted),
                "r2": RegressionMetrics.r2(truth: truth.values, predicted: predicted),
                "mape": RegressionMetrics.mape(truth: truth.values, predicted: predicted),
            ]
        case .classification:
            let classes = truth.classes
            let guesses = predicted.map { Int($0) }
            let k = truth.classCount
            var result = ["accuracy": ClassificationMetrics.accuracy(truth: classes, predicted: guesses)]
            let macro = ClassificationMetrics.precisionRecallF1(truth: classes, predicted: guesses, classCount: k, averaging: .macro)
            let weighted = ClassificationMetrics.precisionRecallF1(truth: classes, predicted: guesses, classCount: k, averaging: .weighted)
            result["f1_macro"] = macro.f1
            result["f1_weighted"] = weighted.f1
            result["precision_macro"] = macro.precision
            result["recall_macro"] = macro.recall
            if k == 2 {
                // Binary: the positive class is the minority (or the given one): F1 of the rare class is what imbalanced problems are judged by.
                let positive = positiveClass ?? 1
                let binary = ClassificationMetrics.precisionRecallF1(truth: classes, predicted: guesses, classCount: 2, averaging: .binary(positive: positive))
                result["f1"] = binary.f1
                result["precision"] = binary.precision
                result["recall"] = binary.recall
                if let probabilities, let auc = ClassificationMetrics.rocAUC(truth: classes.map { $0 == positive }, scores: probabilities.map { $0[positive] })
                {
                    result["roc_auc"] = auc
                }
            } else {
                result["f1"] = macro.f1
                if let probabilities, let auc = ClassificationMetrics.rocAUCOneVsRest(truth: classes, probabilities: probabilities, classCount: k) {
                    result["roc_auc"] = auc
                }
            }
            if let probabilities { result["log_loss"] = ClassificationMetrics.logLoss(truth: classes, probabilities: probabilities) }
            return result
        }
    }
}

/// k-fold cross-validation for any model type: stratified folds for classification.
public enum CrossValidation {
    public struct FoldResult: Sendable {
        public var fold: Int
        public var metrics: [String: Double]
    }

    public static func run<M: Model>(
        _ model: M,
        features: FeatureMatrix,
        targets: Targets,
        folds: Int,
        seed: UInt64 = 42,
        weights: [Double]? = nil,
        progress: FitProgress? = nil
    ) throws -> [FoldResult] {
        guard folds >= 2, folds <= targets.values.count else {
            throw ModelError.invalidParameter(name: "cv_folds", problem: "must be between 2 and the number of training rows")
        }
        let assignment =
            targets.task == .classification
            ? Splitting.stratifiedFolds(classes: targets.classes, classCount: targets.classCount, folds: folds, seed: seed)
            : Splitting.folds(count: targets.values.count, folds: folds, seed: seed)
        return try (0..<folds).map { fold in
            let trainRows = assignment.indices.filter { assignment[$0] != fold }
            let testRows = assignment.indices.filter { assignment[$0] == fold }
            var fitted = M(parameters: model.parameters)
            try fitted.fit(
                features.selecting(rows: trainRows), targets.selecting(rows: trainRows),
                weights: weights.map { w in trainRows.map { w[$0] } }, progress: progress
            )
            progress?.completeFit()
            let held = features.selecting(rows: testRows)
            let probabilities = fitted.predictProbabilities(held)
            let metrics = Evaluation.metrics(
                truth: targets.selecting(rows: testRows),
                predicted: probabilities.map { rows in rows.map { Evaluation.predictedClass($0) } } ?? fitted.predict(held),
                probabilities: probabilities
            )
            return FoldResult(fold: fold, metrics: metrics)
        }
    }
}
