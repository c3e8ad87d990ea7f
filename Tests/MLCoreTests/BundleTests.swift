import Foundation
import MLCore
import Testing

@Suite struct BaselineAndCrossValidationTests {
    @Test func baselinePredictsPriorsAndMean() throws {
        let features = FeatureMatrix(rows: 4, columns: 1, values: [1, 2, 3, 4], names: ["x"])
        var classifier = BaselineModel()
        try classifier.fit(features, Targets(task: .classification, values: [0, 1, 1, 1], labels: ["a", "b"]), weights: nil)
        #expect(classifier.predict(features) == [1, 1, 1, 1])
        #expect(classifier.predictProbabilities(features)?.first == [0.25, 0.75])
        var regressor = BaselineModel()
        try regressor.fit(features, Targets(task: .regression, values: [1, 2, 3, 10], labels: []), weights: [1, 1, 1, 0])
        #expect(regressor.predict(features) == [2, 2, 2, 2])
        #expect(throws: ModelError.empty) {
            var model = BaselineModel()
            try model.fit(FeatureMatrix(rows: 0, columns: 1, values: [], names: ["x"]), Targets(task: .regression, values: [], labels: []), weights: nil)
        }
    }

    @Test func stratifiedCrossValidationKeepsEveryClassInEveryFold() throws {
        let labels = (0..<30).map { Double($0 < 24 ? 0 : 1) }
        let features = FeatureMatrix(rows: 30, columns: 1, values: (0..<30).map(Double.init), names: ["x"])
        let targets = Targets(task: .classification, values: labels, labels: ["no", "yes"])
        let folds = try CrossValidation.run(BaselineModel(), features: features, targets: targets, folds: 3)
        #expect(folds.count == 3)
        for fold in folds {
            // 8 "no" and 2 "yes" per fold: the prior model always says "no".
            #expect(fold.metrics["accuracy"] == 0.8)
            #expect(fold.metrics["f1"] == 0)
        }
        #expect(throws: ModelError.self) { try CrossValidation.run(BaselineModel(), features: features, targets: targets, folds: 1) }
    }
}

@Suite struct ModelBundleTests {
    @Test func roundTripAndPredictFromRawRecords() throws {
        let table = try CSVReader.read(path: RealDatasetTests.datasets.appendingPathComponent("penguins.csv").path)
        let prepared = try Preprocessor.run(table, spec: PreprocessSpec(target: "species"))
        let pipeline = try FeaturePipeline.fit(prepared.train, target: "species")
        let labels = try #require(prepared.report.classLabels)
        let targets = try Targets(table: prepared.train, target: "species", task: .classification, labels: labels)
        var model = BaselineModel()
        try model.fit(try pipeline.transform(prepared.train), targets, weights: nil)
        let bundle = ModelBundle(
            name: "penguins-baseline", task: .classification, pipeline: pipeline, classLabels: labels, metrics: ["accuracy": 0.44],
            training: TrainingRecord(preprocess: PreprocessSpec(target: "species"), features: FeatureOptions(), seed: 42, dataVersion: "abc123"),
            model: model
        )
        let loaded = try ModelBundle.load(from: bundle.fileData())
        #expect(loaded.modelType == "baseline")
        #expect(loaded.pipeline == pipeline)
        #expect(loaded.classLabels == ["Adelie", "Chinstrap", "Gentoo"])
        #expect(loaded.training.dataVersion == "abc123")
        #expect(loaded.inputSchema.map(\.name) == ["island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex", "year"])

        let good: [String: RawValue] = [
            "island": .string("Biscoe"), "bill_length_mm": .number(45), "bill_depth_mm": .number(15), "flipper_length_mm": .number(210),
            "body_mass_g": .number(5000), "sex": .string("female"), "year": .number(2008),
        ]
        var bad = good
        bad["bill_length_mm"] = .string("long")
        let results = loaded.predict(records: [good, bad])
        let first = try results[0].get()
        #expect(first.label == "Adelie")
        #expect(first.probabilities?.values.reduce(0, +) ?? 0 > 0.999)
        guard case .failure(let issues) = results[1] else { Issue.record("bad record accepted"); return }
        #expect(issues.issues == [FieldIssue(field: "bill_length_mm", problem: "expected a number")])
    }

    @Test func refusesForeignOrFutureFiles() throws {
        #expect(throws: ModelBundle.LoadError.notABundle) { try ModelBundle.load(from: Data(#"{"hello": 1}"#.utf8)) }
        let future = #"{"format": "mlopsd-model-bundle", "format_version": 99}"#
        #expect(throws: ModelBundle.LoadError.unsupportedVersion(99)) { try ModelBundle.load(from: Data(future.utf8)) }
    }
}
