import Foundation
import MLCore
import Testing

@Suite struct DecisionThresholdTests {
    /// Three positives scored above three negatives: every metric is perfect between 0.35 and 0.3.
    @Test func findsTheKnownOptimum() {
        let scores = [0.9, 0.1, 0.35, 0.8, 0.3, 0.2]
        let positives = [true, false, true, true, false, false]
        for metric in [Metric.f1, .accuracy, .f1Macro, .f1Weighted] {
            let best = DecisionThreshold.best(scores: scores, positives: positives, metric: metric)
            #expect(abs(best.threshold - 0.325) < 1e-12, "\(metric)")
            #expect(best.value == 1, "\(metric)")
        }
        // A ranking metric is not changed by a threshold: the positive class's F1 decides.
        #expect(abs(DecisionThreshold.best(scores: scores, positives: positives, metric: .rocAUC).threshold - 0.325) < 1e-12)
    }

    /// F1 of the rare class is best well below 0.5 when the model is shy of predicting it.
    @Test func favoursTheRareClassForF1() {
        // Scores of 2 positives among 20 rows, both under 0.5; one negative above them.
        var scores = (0..<18).map { Double($0) / 100 }
        var positives = [Bool](repeating: false, count: 18)
        scores += [0.3, 0.25]
        positives += [true, true]
        scores[17] = 0.4
        let best = DecisionThreshold.best(scores: scores, positives: positives, metric: .f1)
        #expect(best.threshold > 0.16 && best.threshold < 0.25)
        #expect(abs(best.value - 0.8) < 1e-12, "2 of 2 found with 1 false alarm: F1 = 4 / 5")
    }

    /// Equal scores fall on one side together; among equally good cuts the one nearest 0.5 wins.
    @Test func tiesAndNoPositiveAtAll() {
        let tied = DecisionThreshold.best(scores: [0.6, 0.6, 0.2], positives: [true, false, false], metric: .accuracy)
        #expect(tied.value == 2.0 / 3)
        // Predicting nothing (1.0) is as good as cutting below the tie (0.4), which is nearer 0.5.
        #expect(abs(tied.threshold - 0.4) < 1e-12, "\(tied)")
        let none = DecisionThreshold.best(scores: [0.2, 0.1], positives: [false, false], metric: .accuracy)
        #expect(none.value == 1)
        #expect(none.threshold == 1)
    }

    @Test func imbalanceIsTheRarestClassUnderAQuarterOfTheCommonest() {
        #expect(
            DecisionThreshold.isImbalanced(
                Targets(task: .classification, values: Array(repeating: 0, count: 95) + Array(repeating: 1, count: 5), labels: ["a", "b"])))
        #expect(
            !DecisionThreshold.isImbalanced(
                Targets(task: .classification, values: Array(repeating: 0, count: 60) + Array(repeating: 1, count: 40), labels: ["a", "b"])))
        #expect(!DecisionThreshold.isImbalanced(Targets(task: .regression, values: [1, 2, 3], labels: [])))
    }

    /// On an imbalanced binary target, `auto` tunes a threshold; the bundle keeps it and predicts
    /// with it; `none` keeps the likelier class.
    @Test func trainingTunesStoresAndAppliesTheThreshold() throws {
        var generator = SeededGenerator(seed: 7)
        var lines = ["x1,x2,label"]
        for _ in 0..<1500 {
            let rare = Double.random(in: 0..<1, using: &generator) < 0.06
            let x1 = Double.random(in: 0..<1, using: &generator) + (rare ? 0.6 : 0)
            let x2 = Double.random(in: 0..<1, using: &generator)
            lines.append(String(format: "%.4f,%.4f,%@", x1, x2, rare ? "yes" : "no"))
        }
        let table = try CSVReader.read(string: lines.joined(separator: "\n") + "\n")
        let split = try Preprocessor.run(table, spec: PreprocessSpec(target: "label"))
        let automatic = try Trainer.train(.init(modelType: "logistic_regression", dataVersion: "v"), split: split, target: "label")
        let plain = try Trainer.train(.init(modelType: "logistic_regression", imbalance: .none, dataVersion: "v"), split: split, target: "label")
        let threshold = try #require(automatic.decisionThreshold)
        #expect(plain.decisionThreshold == nil)
        #expect(automatic.bundle.training.features.imbalance == .none, "no class weights: the probabilities stay calibrated")
        #expect(automatic.metrics["roc_auc"] == plain.metrics["roc_auc"], "the same model; only the cut moved")
        #expect(try #require(automatic.metrics["f1"]) > (plain.metrics["f1"] ?? 0))

        let loaded = try ModelBundle.load(from: automatic.bundle.fileData())
        #expect(loaded.decisionThreshold == threshold)
        let record: [String: RawValue] = ["x1": .number(0.9), "x2": .number(0.5)]
        let prediction = try loaded.predict(records: [record])[0].get()
        let probability = try #require(prediction.probabilities?["yes"])
        #expect(prediction.label == (probability >= threshold ? "yes" : "no"))

        var forced = loaded
        forced.decisionThreshold = 0
        #expect(try forced.predict(records: [record])[0].get().label == "yes", "every row is at least 0")
        // A threshold on a regressor, or outside 0…1, is refused on load.
        var broken = try JSONSerialization.jsonObject(with: automatic.bundle.fileData(.json)) as? [String: Any] ?? [:]
        broken["decision_threshold"] = 1.5
        #expect(throws: (any Error).self) { try ModelBundle.load(from: try JSONSerialization.data(withJSONObject: broken)) }
    }
}
