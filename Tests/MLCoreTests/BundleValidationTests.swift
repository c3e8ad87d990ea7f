import Foundation
import MLCore
import Testing

/// A bundle is a file: one edited by hand, truncated or crafted must be refused with a reason when
/// it loads, never crash the process that predicts with it.
@Suite struct BundleValidationTests {
    /// A fitted penguins bundle of `modelType`, in the JSON form, to tamper with.
    static func bundle(_ modelType: String, parameters: String = "{}") throws -> [String: Any] {
        let table = try CSVReader.read(path: RealDatasetTests.datasets.appendingPathComponent("penguins.csv").path)
        let split = try Preprocessor.run(table, spec: PreprocessSpec(target: "species"))
        let trained = try Trainer.train(
            .init(modelType: modelType, parameters: Data(parameters.utf8), dataVersion: "test"), split: split, target: "species"
        )
        return try #require(try JSONSerialization.jsonObject(with: trained.bundle.fileData(.json)) as? [String: Any])
    }

    static func load(_ json: [String: Any]) throws -> ModelBundle {
        try ModelBundle.load(from: JSONSerialization.data(withJSONObject: json))
    }

    /// Applies `edit` to the first tree of the bundle's model.
    static func editingFirstTree(_ json: [String: Any], _ edit: (inout [String: Any]) -> Void) -> [String: Any] {
        var json = json
        var model = json["model"] as? [String: Any] ?? [:]
        var trees = model["trees"] as? [[String: Any]] ?? []
        if !trees.isEmpty { edit(&trees[0]) }
        model["trees"] = trees
        json["model"] = model
        return json
    }

    @Test(arguments: ["gradient_boosting", "random_forest"])
    func craftedTreesAreRefused(_ modelType: String) throws {
        let json = try Self.bundle(modelType, parameters: #"{"n_estimators": 5}"#)
        _ = try Self.load(json)
        let edits: [(String, (inout [String: Any]) -> Void)] = [
            (
                "a cycle",
                { tree in
                    var left = tree["left"] as? [Int] ?? []
                    left[0] = 0
                    tree["left"] = left
                }
            ),
            (
                "a feature out of range",
                { tree in
                    var feature = tree["feature"] as? [Int] ?? []
                    feature[0] = 9_999
                    tree["feature"] = feature
                }
            ),
            (
                "a leaf past its values",
                { tree in
                    tree["leafValues"] = [Double]()
                }
            ),
            (
                "a child past the end",
                { tree in
                    var right = tree["right"] as? [Int] ?? []
                    right[0] = 1_000_000
                    tree["right"] = right
                }
            ),
            (
                "arrays of different lengths",
                { tree in
                    tree["threshold"] = [0.5]
                }
            ),
        ]
        for (problem, edit) in edits {
            #expect(throws: BundleInconsistency.self, "\(problem)") { try Self.load(Self.editingFirstTree(json, edit)) }
        }
    }

    /// Found in review: a forest claiming leaves of Int.max values overflowed the leaf check.
    @Test func aForestWithAbsurdLeafWidthsIsRefused() throws {
        var json = try Self.bundle("random_forest", parameters: #"{"n_estimators": 2}"#)
        var model = json["model"] as? [String: Any] ?? [:]
        for outputs in [Int.max, 0, -3, 10_001] {
            model["outputs"] = outputs
            json["model"] = model
            #expect(throws: BundleInconsistency.self, "outputs \(outputs)") { try Self.load(json) }
        }
    }

    @Test func sizesThatDisagreeAreRefused() throws {
        var logistic = try Self.bundle("logistic_regression")
        var model = logistic["model"] as? [String: Any] ?? [:]
        model["coefficients"] = [1.0, 2.0]
        logistic["model"] = model
        #expect(throws: BundleInconsistency.self) { try Self.load(logistic) }

        var forest = try Self.bundle("random_forest", parameters: #"{"n_estimators": 3}"#)
        var pipeline = forest["pipeline"] as? [String: Any] ?? [:]
        pipeline["means"] = [0.0]
        forest["pipeline"] = pipeline
        #expect(throws: BundleInconsistency.self) { try Self.load(forest) }

        var labels = try Self.bundle("gradient_boosting", parameters: #"{"n_estimators": 5}"#)
        labels["class_labels"] = ["Adelie", "Gentoo"]
        #expect(throws: BundleInconsistency.self) { try Self.load(labels) }
        labels["class_labels"] = ["Adelie", "Adelie", "Gentoo"]
        #expect(throws: BundleInconsistency.self) { try Self.load(labels) }
    }

    /// Found by the bundle fuzz target: records are transformed by pairing transforms with input
    /// columns, so a bundle whose input schema disagreed with its transforms trapped on the
    /// first prediction.
    @Test func anInputSchemaThatDisagreesWithTheTransformsIsRefused() throws {
        let json = try Self.bundle("random_forest", parameters: #"{"n_estimators": 2}"#)
        let pipeline = try #require(json["pipeline"] as? [String: Any])
        let schema = try #require(pipeline["input_schema"] as? [[String: Any]])
        let edits: [(String, [[String: Any]])] = [
            ("a column fewer", Array(schema.dropLast())),
            ("columns in another order", schema.reversed()),
            (
                "another kind",
                schema.enumerated().map { index, column in
                    var column = column
                    if index == 0 { column["kind"] = column["kind"] as? String == "numeric" ? "categorical" : "numeric" }
                    return column
                }
            ),
        ]
        for (problem, edited) in edits {
            var tampered = json
            var editedPipeline = pipeline
            editedPipeline["input_schema"] = edited
            tampered["pipeline"] = editedPipeline
            #expect(throws: BundleInconsistency.self, "\(problem)") { try Self.load(tampered) }
        }
    }

    @Test func datesFarOutsideTheCalendarAreClampedNotTrapped() {
        #expect(DateTimeParsing.components(1e300).year > 30_000_000)
        #expect(DateTimeParsing.components(-.infinity).year < -30_000_000)
        #expect(DateTimeParsing.format(.nan) == "1970-01-01")
    }
}
