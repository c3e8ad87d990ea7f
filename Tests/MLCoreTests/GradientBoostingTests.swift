import Foundation
import MLCore
import Testing

@Suite struct GradientBoostingTests {
    static func penguins(_ options: FeatureOptions = .trees) throws -> (train: FeatureMatrix, trainTargets: Targets, test: FeatureMatrix, testTargets: Targets)
    {
        let table = try CSVReader.read(path: RealDatasetTests.datasets.appendingPathComponent("penguins.csv").path)
        let prepared = try Preprocessor.run(table, spec: PreprocessSpec(target: "species"))
        let pipeline = try FeaturePipeline.fit(prepared.train, target: "species", options: options)
        let labels = prepared.report.classLabels ?? []
        return (
            try pipeline.transform(prepared.train),
            try Targets(table: prepared.train, target: "species", task: .classification, labels: labels),
            try pipeline.transform(prepared.test),
            try Targets(table: prepared.test, target: "species", task: .classification, labels: labels)
        )
    }

    @Test func trainingLossDecreasesEveryRound() throws {
        let data = try Self.penguins()
        var model = GradientBoosting(parameters: .init(estimators: 40, minDataInLeaf: 5))
        try model.fit(data.train, data.trainTargets, weights: nil)
        #expect(model.trainingLoss.count == 40)
        for (previous, next) in zip(model.trainingLoss, model.trainingLoss.dropFirst()) { #expect(next <= previous + 1e-12) }
        let probabilities = try #require(model.predictProbabilities(data.test))
        for row in probabilities { #expect(abs(row.reduce(0, +) - 1) < 1e-9) }
        let metrics = Evaluation.metrics(truth: data.testTargets, predicted: model.predict(data.test), probabilities: probabilities)
        #expect(try #require(metrics["accuracy"]) > 0.93)
    }

    @Test func earlyStoppingStopsAndKeepsTheBestRound() throws {
        let data = try Self.penguins()
        var model = GradientBoosting(parameters: .init(estimators: 500, learningRate: 0.3, minDataInLeaf: 3, validationFraction: 0.2, earlyStoppingRounds: 5))
        try model.fit(data.train, data.trainTargets, weights: nil)
        let best = try #require(model.bestRound)
        #expect(model.validationLoss.count < 500)
        #expect(model.validationLoss.count == best + 1 + 5)
        #expect(model.trees.count == (best + 1) * 3)
        #expect(model.validationLoss[best] == model.validationLoss.min())
    }

    @Test func regressionFitsAStepAndIsDeterministic() throws {
        var xs: [Double] = []
        var ys: [Double] = []
        for index in 0..<400 {
            let x = Double(index % 40)
            xs.append(x)
            ys.append(x < 20 ? 10 : 30)
        }
        let features = FeatureMatrix(rows: 400, columns: 1, values: xs, names: ["x"])
        let targets = Targets(task: .regression, values: ys, labels: [])
        let parameters = GradientBoosting.Parameters(estimators: 50, featureFraction: 1, baggingFraction: 0.8, seed: 3)
        var first = GradientBoosting(parameters: parameters)
        try first.fit(features, targets, weights: nil)
        var second = GradientBoosting(parameters: parameters)
        try second.fit(features, targets, weights: nil)
        #expect(first.trees == second.trees)
        #expect(RegressionMetrics.rmse(truth: ys, predicted: first.predict(features)) < 0.1)
        #expect(first.trees.first?.threshold.first == 19.5)
    }

    @Test func weightsShiftTheBinaryPrior() throws {
        let features = FeatureMatrix(rows: 4, columns: 1, values: [1, 1, 1, 1], names: ["x"])
        let targets = Targets(task: .classification, values: [0, 0, 1, 1], labels: ["a", "b"])
        var model = GradientBoosting(parameters: .init(estimators: 5, minDataInLeaf: 1))
        try model.fit(features, targets, weights: [1, 1, 1, 3])
        let positive = try #require(model.predictProbabilities(features)?.first?[1])
        #expect(abs(positive - 4.0 / 6) < 1e-9)
    }

    @Test func invalidParametersAreNamed() throws {
        let data = try Self.penguins()
        var model = GradientBoosting(parameters: .init(numLeaves: 1))
        #expect(throws: ModelError.invalidParameter(name: "num_leaves", problem: "must be at least 2")) {
            try model.fit(data.train, data.trainTargets, weights: nil)
        }
        let decoded = try JSONDecoder().decode(GradientBoosting.Parameters.self, from: Data(#"{"n_estimators": 10, "learning_rate": 0.05}"#.utf8))
        #expect(decoded.estimators == 10 && decoded.learningRate == 0.05 && decoded.numLeaves == 31)
    }
}
