import MLCore
import Testing

/// Reference values computed with scikit-learn 1.9.1 on these exact inputs.
@Suite struct MetricsTests {
    let truth = [0, 1, 2, 2, 1, 0, 1, 2, 0, 1]
    let predicted = [0, 2, 2, 2, 1, 0, 0, 2, 1, 1]
    let probabilities: [[Double]] = [
        [0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.1, 0.1, 0.8], [0.2, 0.2, 0.6], [0.2, 0.6, 0.2],
        [0.8, 0.1, 0.1], [0.5, 0.4, 0.1], [0.05, 0.15, 0.8], [0.3, 0.5, 0.2], [0.2, 0.7, 0.1],
    ]

    func close(_ lhs: Double?, _ rhs: Double, tolerance: Double = 1e-12) -> Bool {
        guard let lhs else { return false }
        return abs(lhs - rhs) <= tolerance
    }

    @Test func multiclassAgainstScikitLearn() {
        #expect(ClassificationMetrics.accuracy(truth: truth, predicted: predicted) == 0.7)
        #expect(ClassificationMetrics.confusionMatrix(truth: truth, predicted: predicted, classCount: 3) == [[2, 1, 0], [1, 2, 1], [0, 0, 3]])
        let macro = ClassificationMetrics.precisionRecallF1(truth: truth, predicted: predicted, classCount: 3, averaging: .macro)
        #expect(close(macro.precision, 0.6944444444444443))
        #expect(close(macro.recall, 0.7222222222222222))
        #expect(close(macro.f1, 0.6984126984126985))
        let weighted = ClassificationMetrics.precisionRecallF1(truth: truth, predicted: predicted, classCount: 3, averaging: .weighted)
        #expect(close(weighted.precision, 0.6916666666666667))
        #expect(close(weighted.recall, 0.7))
        #expect(close(weighted.f1, 0.6857142857142857))
        #expect(close(ClassificationMetrics.rocAUCOneVsRest(truth: truth, probabilities: probabilities, classCount: 3), 0.9484126984126983))
        #expect(close(ClassificationMetrics.logLoss(truth: truth, probabilities: probabilities), 0.5728668129878103))
    }

    @Test func binaryAgainstScikitLearn() {
        let truth = [0, 0, 1, 1, 0, 1, 0, 1, 1, 0]
        let scores = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2, 0.6, 0.4, 0.05]
        let predicted = scores.map { $0 >= 0.5 ? 1 : 0 }
        let positive = ClassificationMetrics.precisionRecallF1(truth: truth, predicted: predicted, classCount: 2, averaging: .binary(positive: 1))
        #expect(positive.precision == 1)
        #expect(close(positive.recall, 0.6))
        #expect(close(positive.f1, 0.75))
        // Ties (three scores of 0.4 across both classes) count half.
        #expect(close(ClassificationMetrics.rocAUC(truth: truth.map { $0 == 1 }, scores: scores), 0.88))
        #expect(close(ClassificationMetrics.logLoss(truth: truth, probabilities: scores.map { [1 - $0, $0] }), 0.42068911560024275))
    }

    @Test func handComputedEdgeCases() {
        // Nothing predicted positive: precision is 0 by convention, not NaN.
        let none = ClassificationMetrics.precisionRecallF1(truth: [1, 0, 1], predicted: [0, 0, 0], classCount: 2, averaging: .binary(positive: 1))
        #expect(none == PrecisionRecallF1(precision: 0, recall: 0, f1: 0))
        #expect(ClassificationMetrics.rocAUC(truth: [true, true], scores: [0.2, 0.9]) == nil)
        #expect(ClassificationMetrics.rocAUC(truth: [false, true], scores: [0.2, 0.9]) == 1)
        #expect(ClassificationMetrics.rocAUC(truth: [true, false], scores: [0.2, 0.9]) == 0)
        let curve = ClassificationMetrics.rocCurve(truth: [false, true, true, false], scores: [0.1, 0.8, 0.4, 0.4])
        #expect(curve.map(\.falsePositiveRate) == [0, 0, 0.5, 1])
        #expect(curve.map(\.truePositiveRate) == [0, 0.5, 1, 1])
    }

    @Test func regressionAgainstScikitLearn() {
        let truth = [3.0, -0.5, 2.0, 7.0, 4.2]
        let predicted = [2.5, 0.0, 2.0, 8.0, 3.9]
        #expect(close(RegressionMetrics.rmse(truth: truth, predicted: predicted), 0.5639148871948674))
        #expect(close(RegressionMetrics.mae(truth: truth, predicted: predicted), 0.4600000000000001))
        #expect(close(RegressionMetrics.r2(truth: truth, predicted: predicted), 0.9480256276150627))
        #expect(close(RegressionMetrics.mape(truth: truth, predicted: predicted), 0.2761904761904762))
        #expect(RegressionMetrics.r2(truth: [2, 2], predicted: [2, 2]) == 1)
        #expect(RegressionMetrics.r2(truth: [2, 2], predicted: [1, 2]) == 0)
    }

    /// Every metric `Evaluation` reports is a `Metric` of its task, so ranking and gates know
    /// its direction instead of guessing from the name.
    @Test func everyReportedMetricHasATaskAndADirection() {
        let binary = Evaluation.metrics(
            truth: Targets(task: .classification, values: [0, 1, 1, 0], labels: ["a", "b"]), predicted: [0, 1, 0, 0],
            probabilities: [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.7, 0.3]]
        )
        let regression = Evaluation.metrics(truth: Targets(task: .regression, values: [1, 2, 3], labels: []), predicted: [1.5, 2, 2.5], probabilities: nil)
        for (task, reported) in [(TaskKind.classification, binary), (.regression, regression)] {
            #expect(Set(reported.keys) == Set(Metric.reported(for: task).map(\.rawValue)), "\(task)")
        }
        #expect(Metric.rmse.ranks(["rmse": 1], above: ["rmse": 2]))
        #expect(Metric.f1.ranks(["f1": 0.9], above: ["f1": 0.5]))
        #expect(Metric.logLoss.ranks(["log_loss": 0.1], above: [:]), "a missing value ranks last")
    }
}
