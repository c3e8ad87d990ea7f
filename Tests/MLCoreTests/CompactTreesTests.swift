import Foundation
import Testing

@testable import MLCore

/// Bundle format 3 writes trees as compact blocks; format 2 bundles (arrays of numbers) still load.
@Suite struct CompactTreesTests {
    static func trained(
        _ modelType: String, parameters: String, dataset: String = "penguins.csv", target: String = "species", rows: Int? = nil
    ) throws -> TrainedModel {
        var table = try CSVReader.read(path: RealDatasetTests.datasets.appendingPathComponent(dataset).path)
        if let rows { table = table.selecting(rows: Array(0..<min(rows, table.rowCount))) }
        let split = try Preprocessor.run(table, spec: PreprocessSpec(target: target))
        return try Trainer.train(.init(modelType: modelType, parameters: Data(parameters.utf8), dataVersion: "test"), split: split, target: target)
    }

    static func trees(of model: any Model) -> [TreeStructure] {
        switch model {
        case let forest as RandomForest: forest.trees
        case let boosting as GradientBoosting: boosting.trees
        default: []
        }
    }

    /// A forest decodes equal to the one that was fitted, node numbering included; boosting trees
    /// (grown leaf-wise, numbered otherwise) decode to the same trees in pre-order, so encoding
    /// them again gives the same bytes; both predict exactly as before, from either bundle form.
    @Test(arguments: [("random_forest", 3), ("gradient_boosting", 1)])
    func treesSurviveTheRoundTripExactly(_ modelType: String, leafWidth: Int) throws {
        let trained = try Self.trained(modelType, parameters: #"{"n_estimators": 20}"#)
        let fitted = Self.trees(of: trained.bundle.model)
        let block = CompactTrees.encode(fitted, leafWidth: leafWidth)
        let decoded = try CompactTrees.decode(block, leafWidth: leafWidth)
        #expect(CompactTrees.encode(decoded, leafWidth: leafWidth) == block)
        if modelType == "random_forest" { #expect(decoded == fitted) }

        let compact = try trained.bundle.fileData()
        let json = try trained.bundle.fileData(.json)
        let fromCompact = try ModelBundle.load(from: compact)
        let fromJSON = try ModelBundle.load(from: json)
        #expect(Self.trees(of: fromJSON.model) == fitted)
        #expect(try CompactBundle.formatVersion(of: compact) == 3)
        // Boosting splits penguins' island and sex by category, which only format 3 can hold.
        let jsonVersion = (try JSONSerialization.jsonObject(with: json) as? [String: Any])?["format_version"] as? Int
        #expect(jsonVersion == (modelType == "gradient_boosting" ? 3 : 1))

        let table = try CSVReader.read(path: RealDatasetTests.datasets.appendingPathComponent("penguins.csv").path)
        let inputs = table.columns.filter { $0.name != "species" }
        let records: [[String: RawValue]] = (0..<table.rowCount).map { row in
            Dictionary(uniqueKeysWithValues: inputs.map { ($0.name, RawValue(column: $0, row: row)) })
        }
        let expected = trained.bundle.predict(records: records).map { try? $0.get() }
        #expect(fromCompact.predict(records: records).map { try? $0.get() } == expected)
        #expect(fromJSON.predict(records: records).map { try? $0.get() } == expected)
    }

    /// The goal the format was made for: tree bundles on diamonds at least four times smaller
    /// (a smaller forest on fewer rows than the benchmark keeps the test quick; the ratio grows
    /// with the trees).
    @Test(arguments: [("random_forest", #"{"n_estimators": 20}"#), ("gradient_boosting", "{}")])
    func treeBundlesAreAtLeastFourTimesSmaller(_ modelType: String, parameters: String) throws {
        let trained = try Self.trained(modelType, parameters: parameters, dataset: "diamonds.csv", target: "price", rows: 15_000)
        let compact = try trained.bundle.fileData().count
        let json = try trained.bundle.fileData(.json).count
        #expect(compact * 4 <= json, "compact \(compact) bytes, JSON \(json) bytes")
    }

    /// Every truncation and every single-byte change of a block is refused or decodes to trees
    /// that bundle validation then checks; none traps.
    @Test func damagedBlocksAreRefusedNotTrapped() throws {
        let trained = try Self.trained("gradient_boosting", parameters: #"{"n_estimators": 3, "num_leaves": 4}"#)
        let block = CompactTrees.encode(Self.trees(of: trained.bundle.model), leafWidth: 1)
        for length in 0..<block.count {
            #expect(throws: BundleInconsistency.self) { try CompactTrees.decode(Array(block[..<length]), leafWidth: 1) }
        }
        #expect(throws: BundleInconsistency.self) { try CompactTrees.decode(block + [0], leafWidth: 1) }
        #expect(throws: BundleInconsistency.self) { try CompactTrees.decode(block, leafWidth: 2) }
        for position in block.indices {
            for value: UInt8 in [0, 1, 0x7F, 0x80, 0xFF] {
                var damaged = block
                damaged[position] = value
                for tree in (try? CompactTrees.decode(damaged, leafWidth: 1)) ?? [] {
                    _ = try? tree.validate(featureCount: 64, leafWidth: 1, name: "damaged")
                }
            }
        }
        // A count that claims more than the block holds is refused before anything is allocated.
        var huge = Array(block[..<5])
        VarInt.append(1, to: &huge)
        VarInt.append(Int(Int32.max), to: &huge)
        #expect(throws: BundleInconsistency.self) { try CompactTrees.decode(huge, leafWidth: 1) }
    }

    @Test func damagedOrForeignCompactFilesAreRefused() throws {
        let trained = try Self.trained("random_forest", parameters: #"{"n_estimators": 2}"#)
        let file = [UInt8](try trained.bundle.fileData())
        _ = try ModelBundle.load(from: Data(file))
        for length in [0, 8, 12, 19, 20, file.count / 2, file.count - 1] {
            #expect(throws: (any Error).self, "cut at \(length)") { try ModelBundle.load(from: Data(file[..<length])) }
        }
        var newer = file
        newer[8] = 4
        #expect(throws: ModelBundle.LoadError.unsupportedVersion(4)) { try ModelBundle.load(from: Data(newer)) }
        var inflated = file
        for index in 12..<20 { inflated[index] = 0xFF }
        #expect(throws: BundleInconsistency.self) { try ModelBundle.load(from: Data(inflated)) }
        for position in stride(from: 20, to: file.count, by: max(1, file.count / 200)) {
            var damaged = file
            damaged[position] ^= 0x5A
            _ = try? ModelBundle.load(from: Data(damaged))
        }
    }

    /// A JSON bundle has nowhere to keep blocks, so trees that refer to one are refused.
    @Test func aJSONBundleWhoseTreesReferToABlockIsRefused() throws {
        let trained = try Self.trained("random_forest", parameters: #"{"n_estimators": 2}"#)
        var json = try #require(try JSONSerialization.jsonObject(with: trained.bundle.fileData(.json)) as? [String: Any])
        var model = try #require(json["model"] as? [String: Any])
        model["trees"] = ["offset": 0, "length": 10]
        json["model"] = model
        #expect(throws: BundleInconsistency.self) { try ModelBundle.load(from: JSONSerialization.data(withJSONObject: json)) }
    }
}
