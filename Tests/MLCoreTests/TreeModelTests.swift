import Foundation
import MLCore
import Testing

@Suite struct TreeModelTests {
    @Test func treeSplitsAtTheKnownThreshold() throws {
        // y flips between x = 3 and x = 4: the only useful split is at their midpoint.
        let features = FeatureMatrix(rows: 8, columns: 2, values: [1, 9, 2, 3, 3, 1, 4, 8, 5, 2, 6, 7, 7, 4, 8, 6], names: ["x", "noise"])
        let targets = Targets(task: .classification, values: [0, 0, 0, 1, 1, 1, 1, 1], labels: ["low", "high"])
        var tree = DecisionTree(parameters: .init(maxDepth: 1))
        try tree.fit(features, targets, weights: nil)
        let structure = try #require(tree.tree)
        #expect(structure.feature[0] == 0)
        #expect(structure.threshold[0] == 3.5)
        #expect(tree.predict(features) == targets.values)
        #expect(tree.featureImportances == [1, 0])
    }

    @Test func regressionTreeFindsTheStep() throws {
        let xs = (0..<20).map(Double.init)
        let features = FeatureMatrix(rows: 20, columns: 1, values: xs, names: ["x"])
        let targets = Targets(task: .regression, values: xs.map { $0 < 12 ? 1 : 5 }, labels: [])
        var tree = DecisionTree(parameters: .init(maxDepth: 3))
        try tree.fit(features, targets, weights: nil)
        #expect(tree.tree?.threshold[0] == 11.5)
        #expect(tree.predict(features) == targets.values)
    }

    @Test func weightsMoveTheDecision() throws {
        // Same x, conflicting labels: the leaf follows the heavier side.
        let features = FeatureMatrix(rows: 4, columns: 1, values: [1, 1, 1, 1], names: ["x"])
        let targets = Targets(task: .classification, values: [0, 0, 1, 1], labels: ["a", "b"])
        var light = DecisionTree()
        try light.fit(features, targets, weights: [1, 1, 1, 3])
        #expect(light.predict(features).first == 1)
        var heavy = DecisionTree()
        try heavy.fit(features, targets, weights: [3, 1, 1, 1])
        #expect(heavy.predict(features).first == 0)
    }

    @Test func forestIsDeterministicForASeedAndProbabilitiesSumToOne() throws {
        let table = try CSVReader.read(path: RealDatasetTests.datasets.appendingPathComponent("penguins.csv").path)
        let prepared = try Preprocessor.run(table, spec: PreprocessSpec(target: "species"))
        let pipeline = try FeaturePipeline.fit(prepared.train, target: "species", options: .trees)
        let labels = try #require(prepared.report.classLabels)
        let train = try pipeline.transform(prepared.train)
        let trainTargets = try Targets(table: prepared.train, target: "species", task: .classification, labels: labels)
        let test = try pipeline.transform(prepared.test)
        let testTargets = try Targets(table: prepared.test, target: "species", task: .classification, labels: labels)

        var first = RandomForest(parameters: .init(estimators: 30, seed: 7))
        try first.fit(train, trainTargets, weights: nil)
        var second = RandomForest(parameters: .init(estimators: 30, seed: 7))
        try second.fit(train, trainTargets, weights: nil)
        #expect(first.trees == second.trees)
        var other = RandomForest(parameters: .init(estimators: 30, seed: 8))
        try other.fit(train, trainTargets, weights: nil)
        #expect(other.trees != first.trees)

        let probabilities = try #require(first.predictProbabilities(test))
        for row in probabilities { #expect(abs(row.reduce(0, +) - 1) < 1e-9) }
        let metrics = Evaluation.metrics(truth: testTargets, predicted: first.predict(test), probabilities: probabilities)
        // scikit-learn's forest scores F1 0.98–0.99 on this split.
        #expect(try #require(metrics["f1"]) > 0.95)
        #expect(abs(first.featureImportances.reduce(0, +) - 1) < 1e-9)
    }

    @Test func bundleRoundTripGivesIdenticalPredictions() throws {
        var xs: [Double] = []
        for index in 0..<200 {
            let wrapped = Double(index % 17)
            xs.append(wrapped + Double(index) * 0.001)
        }
        let features = FeatureMatrix(rows: 100, columns: 2, values: xs, names: ["a", "b"])
        var ys: [Double] = []
        for row in 0..<100 { ys.append(2 * xs[2 * row] - xs[2 * row + 1]) }
        let targets = Targets(task: .regression, values: ys, labels: [])
        let models: [any Model] = [RandomForest(parameters: .init(estimators: 5)), LinearRegression(), DecisionTree()]
        for untrained in models {
            var model = untrained
            try model.fit(features, targets, weights: nil)
            let decoded: any Model = try roundTrip(model)
            #expect(decoded.predict(features) == model.predict(features))
        }
    }

    @Test func invalidParametersAreNamed() {
        var forest = RandomForest(parameters: .init(estimators: 0))
        #expect(throws: ModelError.invalidParameter(name: "n_estimators", problem: "must be between 1 and 5000")) {
            try forest.fit(FeatureMatrix(rows: 1, columns: 1, values: [1], names: ["x"]), Targets(task: .regression, values: [1], labels: []), weights: nil)
        }
        let parameters = try? JSONDecoder().decode(RandomForest.Parameters.self, from: Data(#"{"max_features": "sqrt", "max_depth": null}"#.utf8))
        #expect(parameters?.maxFeatures == .sqrt)
        #expect(parameters?.maxDepth == nil)
    }
}

func roundTrip<M: Model>(_ model: M) throws -> M {
    try JSONDecoder().decode(M.self, from: JSONEncoder().encode(model))
}
