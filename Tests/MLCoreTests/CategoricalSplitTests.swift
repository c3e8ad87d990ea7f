import Foundation
import Testing

@testable import MLCore

/// LightGBM-style categorical splits: a set of categories against the rest in one split.
@Suite struct CategoricalSplitTests {
    /// Ten categories whose codes interleave the classes: category sets separate them in one
    /// split, thresholds on the codes cannot.
    static func interleaved() -> (FeatureMatrix, Targets) {
        let positive: Set<Int> = [1, 4, 7, 8]
        var values: [Double] = []
        var labels: [Double] = []
        for row in 0..<1_000 {
            let code = row % 10
            values.append(Double(code))
            values.append(Double(row % 7))  // noise the split should not need
            labels.append(positive.contains(code) ? 1 : 0)
        }
        let features = FeatureMatrix(rows: 1_000, columns: 2, values: values, names: ["site", "noise"], categoryCounts: [10, 0])
        return (features, Targets(task: .classification, values: labels, labels: ["no", "yes"]))
    }

    /// Tree pipelines mark their code columns with the category count; one-hot columns are numbers.
    @Test func treePipelinesMarkCategoricalColumns() throws {
        let table = try CSVReader.read(string: "site,size,y\na,1,0\nb,2,1\nc,3,0\nb,4,1\n")
        let trees = try FeaturePipeline.fit(table, target: "y", options: .trees).transform(table)
        #expect(trees.categoryCounts == [3, 0])
        #expect(trees.selecting(rows: [0, 1]).categoryCounts == [3, 0])
        let linear = try FeaturePipeline.fit(table, target: "y").transform(table)
        #expect(linear.categoryCounts.allSatisfy { $0 == 0 })
    }

    @Test func oneSplitSeparatesInterleavedCategories() throws {
        let (features, targets) = Self.interleaved()
        var native = GradientBoosting(parameters: .init(estimators: 1, learningRate: 1, numLeaves: 2))
        try native.fit(features, targets, weights: nil)
        #expect(native.predict(features) == targets.values)
        let tree = try #require(native.trees.first)
        #expect(tree.categorySets == [[1, 4, 7, 8]] || tree.categorySets == [[0, 2, 3, 5, 6, 9]])

        var byCode = GradientBoosting(parameters: .init(estimators: 1, learningRate: 1, numLeaves: 2, categoricalSplits: false))
        try byCode.fit(features, targets, weights: nil)
        let accuracy = zip(byCode.predict(features), targets.values).filter { $0 == $1 }.count
        #expect(accuracy < 1_000, "one threshold on the codes cannot separate the classes")
    }

    /// Unseen codes, missing values and non-codes go right, as the rarest categories do; the
    /// packed forest, the tree walk and both bundle forms agree.
    @Test func unseenCodesGoRightAndEveryPathAgrees() throws {
        let (features, targets) = Self.interleaved()
        var model = GradientBoosting(parameters: .init(estimators: 5, numLeaves: 4))
        try model.fit(features, targets, weights: nil)
        let probes = FeatureMatrix(
            rows: 6, columns: 2, values: [1, 0, 2, 0, 42, 0, -1, 0, .nan, 0, 1.5, 0], names: ["site", "noise"], categoryCounts: [10, 0])
        let scores = model.rawScores(probes)
        for row in 0..<probes.rows {
            let walked = model.initialScores[0] + model.trees.reduce(0) { $0 + $1.leafValues[$1.leafOffset(for: probes.row(row))] }
            #expect(abs(walked - scores[row]) < 1e-12)
        }
        // Unseen (42), none (-1), missing and non-integral codes all land where category 2 (a negative) does.
        #expect(Set(scores[2...]).count == 1)
        #expect(scores[2] < scores[0])

        let reloaded = try JSONDecoder().decode(GradientBoosting.self, from: JSONEncoder().encode(model))
        #expect(reloaded.rawScores(probes) == scores)
        #expect(reloaded.trees == model.trees)
        let block = CompactTrees.encode(model.trees, leafWidth: 1)
        let decoded = try CompactTrees.decode(block, leafWidth: 1)
        #expect(CompactTrees.encode(decoded, leafWidth: 1) == block)
        #expect(decoded.map(\.categorySets.count) == model.trees.map(\.categorySets.count))
    }

    /// Sets of small codes are packed as bitsets, sets with a code past the bitset limit as sorted
    /// codes: both answer like the tree walk.
    @Test(arguments: [[Int32(3), 70], [3, 2_000]])
    func packedSetsAnswerLikeTheTree(_ codes: [Int32]) {
        var tree = TreeStructure()
        let root = tree.appendNode()
        let left = tree.appendNode()
        let right = tree.appendNode()
        tree.feature[root] = 0
        tree.left[root] = Int32(left)
        tree.right[root] = Int32(right)
        tree.setCategories(codes, of: root)
        tree.left[right] = 1
        tree.leafValues = [1, -1]
        let packed = PackedForest([tree])
        for value in [3, Double(codes[1]), 4, 64, 1_999, 2_001, -1, .nan, 3.5, 1e300] {
            var score = [0.0]
            [value].withUnsafeBufferPointer { row in
                score.withUnsafeMutableBufferPointer { packed.accumulate(row: row, tracks: 1, into: $0) }
            }
            #expect(score[0] == tree.leafValues[tree.leafOffset(for: [value][...])], "code \(value)")
            #expect((score[0] == 1) == codes.contains { Double($0) == value }, "code \(value)")
        }
    }
}
