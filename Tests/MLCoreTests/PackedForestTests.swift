import Foundation
import Testing

@testable import MLCore

/// Forests predict from their packed trees; the answer is the plain walk of every tree, averaged.
@Suite struct PackedForestTests {
    @Test(arguments: [("penguins.csv", "species"), ("diamonds.csv", "price")])
    func packedForestsAnswerLikeTheirTrees(_ dataset: String, target: String) throws {
        var table = try CSVReader.read(path: RealDatasetTests.datasets.appendingPathComponent(dataset).path)
        table = table.selecting(rows: Array(0..<min(3_000, table.rowCount)))
        let split = try Preprocessor.run(table, spec: PreprocessSpec(target: target))
        let trained = try Trainer.train(
            .init(modelType: "random_forest", parameters: Data(#"{"n_estimators": 7}"#.utf8), dataVersion: "t"), split: split, target: target)
        let forest = try #require(trained.bundle.model as? RandomForest)
        let features = try trained.bundle.pipeline.transform(split.test)
        let walked = (0..<features.rows).map { row in
            var sums = [Double](repeating: 0, count: forest.outputs)
            for tree in forest.trees {
                let offset = tree.leafOffset(for: features.row(row))
                for output in sums.indices { sums[output] += tree.leafValues[offset + output] / Double(forest.trees.count) }
            }
            return sums
        }
        if let probabilities = forest.predictProbabilities(features) {
            for (packed, plain) in zip(probabilities, walked) { #expect(zip(packed, plain).allSatisfy { abs($0 - $1) < 1e-12 }) }
        } else {
            for (packed, plain) in zip(forest.predict(features), walked) { #expect(abs(packed - plain[0]) < 1e-9 * max(1, abs(plain[0]))) }
        }
    }
}
