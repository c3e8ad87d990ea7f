import Foundation
import MLCore
import Testing

@Suite struct HyperparameterSearchTests {
    /// A label that is x0 > 0.5 with a quarter of the labels flipped, and five noise columns: an
    /// unlimited tree (the default) learns the noise, a shallow one does not.
    static func noisy() -> (FeatureMatrix, Targets) {
        var generator = SeededGenerator(seed: 11)
        let rows = 900
        let columns = 6
        let values = (0..<(rows * columns)).map { _ in generator.nextUnit() }
        let labels = (0..<rows).map { row in (values[row * columns] > 0.5) != (generator.nextUnit() < 0.25) ? 1.0 : 0.0 }
        return (
            FeatureMatrix(rows: rows, columns: columns, values: values, names: (0..<columns).map { "x\($0)" }),
            Targets(task: .classification, values: labels, labels: ["no", "yes"])
        )
    }

    /// The search finds a known-better configuration than the defaults it starts from.
    @Test func randomSearchBeatsTheDefaultsItStartsFrom() throws {
        let (features, targets) = Self.noisy()
        let report = try HyperparameterSearch.run(
            modelType: "decision_tree", fixed: nil, features: features, targets: targets, weights: nil, metric: .accuracy,
            options: TuningOptions(trials: 12, budgetSeconds: 60), seed: 42)
        #expect(report.trials.count == 12)
        #expect(report.trials[0].parameters.isEmpty, "trial 1 is the defaults")
        let defaults = report.trials[0].score
        #expect(report.best.score > defaults + 0.05, "best \(report.best.score) vs defaults \(defaults)")
        // A quarter of the labels are noise: 0.75 is the best any model can do.
        #expect(report.best.score > 0.7, "\(report.best)")
        #expect(!report.stoppedByBudget)
    }

    /// Halving: many trials on few rows, the best third on more, the last rung on all of them;
    /// the request's own hyperparameters stay fixed in every trial.
    @Test func successiveHalvingNarrowsOnGrowingRows() throws {
        let (features, targets) = Self.noisy()
        let fixed = Data(#"{"min_samples_leaf": 7}"#.utf8)
        let report = try HyperparameterSearch.run(
            modelType: "decision_tree", fixed: fixed, features: features, targets: targets, weights: nil, metric: .accuracy,
            options: TuningOptions(trials: 9, budgetSeconds: 60, method: .halving), seed: 42)
        let rowsByRung = report.trials.reduce(into: [Int: Int]()) { $0[$1.rows, default: 0] += 1 }
        #expect(rowsByRung.keys.sorted() == [300, 900], "\(rowsByRung)")
        #expect(rowsByRung[300] == 9)
        #expect(rowsByRung[900] == 3)
        #expect(report.best.rows == 900)
        #expect(report.trials.allSatisfy { $0.parameters["min_samples_leaf"] == nil })
        let chosen = try JSONSerialization.jsonObject(with: report.bestParameters) as? [String: Any]
        #expect(chosen?["min_samples_leaf"] as? Int == 7)
        #expect(HyperparameterSearch.plannedFits(TuningOptions(trials: 9, method: .halving), modelType: "decision_tree") == 12 * 3)
    }

    /// Past the budget no further trial starts; the defaults always run.
    @Test func theBudgetStopsTheSearch() throws {
        let (features, targets) = Self.noisy()
        let report = try HyperparameterSearch.run(
            modelType: "gradient_boosting", fixed: nil, features: features, targets: targets, weights: nil, metric: .accuracy,
            options: TuningOptions(trials: 50, budgetSeconds: 0.001), seed: 42)
        #expect(report.stoppedByBudget)
        #expect(report.trials.count == 1)
        #expect(TuningOptions(trials: 0, budgetSeconds: 0, folds: 1).problems().map(\.field) == ["trials", "budget_seconds", "folds"])
    }
}
