import Foundation
import MLCore
import Testing

@Suite struct FitProgressTests {
    @Test func ensemblesCountTheirTreesAndRounds() throws {
        let data = try GradientBoostingTests.penguins()
        let progress = FitProgress(plannedFits: 2)
        var boosting = GradientBoosting(parameters: .init(estimators: 12, minDataInLeaf: 5))
        try boosting.fit(data.train, data.trainTargets, weights: nil, progress: progress)
        #expect(progress.fraction == 0.5, "12 of 12 rounds of the first of two fits")

        var forest = RandomForest(parameters: .init(estimators: 8))
        try forest.fit(data.train, data.trainTargets, weights: nil, progress: progress)
        #expect(progress.fraction == 0.5, "a new fit restarts the count within the same planned fit")

        // A model without steps reports only whole fits.
        let linear = FitProgress()
        var logistic = LogisticRegression()
        try logistic.fit(data.train, data.trainTargets, weights: nil, progress: linear)
        #expect(linear.fraction == 0)
    }

    @Test func trainingWithCrossValidationReachesOne() throws {
        let table = try CSVReader.read(path: RealDatasetTests.datasets.appendingPathComponent("penguins.csv").path)
        let split = try Preprocessor.run(table, spec: PreprocessSpec(target: "species"))
        let progress = FitProgress()
        let trained = try Trainer.train(
            .init(modelType: "random_forest", parameters: Data(#"{"n_estimators": 10}"#.utf8), cvFolds: 3, dataVersion: "test"),
            split: split, target: "species", progress: progress
        )
        #expect(progress.fraction == 1)
        #expect(trained.crossValidation?["accuracy"] != nil)
        #expect(trained.featureImportances.count == trained.bundle.pipeline.featureNames.count)
        #expect(trained.heldOut.predicted.count == split.test.rowCount)
    }

    /// A stop requested while an ensemble fits ends it at the next tree or round.
    @Test(arguments: ["gradient_boosting", "random_forest"])
    func aRequestedStopEndsTheFit(_ modelType: String) throws {
        let features = FeatureMatrix(rows: 200, columns: 2, values: (0..<400).map { Double($0 % 17) }, names: ["a", "b"])
        let targets = Targets(task: .regression, values: (0..<200).map { Double($0 % 5) }, labels: [])
        var model = try ModelCatalog.make(modelType, parameters: Data(#"{"n_estimators": 2000}"#.utf8))
        let progress = FitProgress()
        progress.requestStop()
        #expect(throws: FitStopped.self) { try model.fit(features, targets, weights: nil, progress: progress) }
    }

    @Test(arguments: ["gradient_boosting", "random_forest"])
    func estimatorsBeyondTheCapAreRefused(_ modelType: String) throws {
        let features = FeatureMatrix(rows: 4, columns: 1, values: [1, 2, 3, 4], names: ["x"])
        let targets = Targets(task: .regression, values: [1, 2, 3, 4], labels: [])
        var model = try ModelCatalog.make(modelType, parameters: Data(#"{"n_estimators": 1000000}"#.utf8))
        #expect(throws: ModelError.self) { try model.fit(features, targets, weights: nil, progress: nil) }
    }
}
