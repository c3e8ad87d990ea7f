import Foundation
import Testing

@testable import MLCore

/// Drift monitoring: the statistics against hand-computed values, a reference profile that
/// tells a fresh sample from a shifted one, the sliding window, and the profile in bundles.
@Suite struct DriftTests {
    // MARK: Statistics

    @Test func populationStabilityIndexMatchesHandComputedValues() {
        // Identical and proportional histograms: every term has cᵢ = rᵢ.
        #expect(DriftStatistics.populationStabilityIndex(reference: [10, 20, 30], current: [10, 20, 30]) == 0)
        #expect(DriftStatistics.populationStabilityIndex(reference: [1, 2], current: [2, 4]) == 0)
        // r = (0.5, 0.5), c = (0.9, 0.1):
        //   (0.9 − 0.5)·ln(0.9/0.5) + (0.1 − 0.5)·ln(0.1/0.5) = 0.4 · 0.5877867 + 0.4 · 1.6094379 = 0.8788898
        #expect(abs(DriftStatistics.populationStabilityIndex(reference: [50, 50], current: [90, 10]) - 0.8788898) < 1e-6)
        // An empty reference bin counts as 0.0001: r = (1, 0.0001), c = (0.5, 0.5):
        //   (0.5 − 1)·ln(0.5/1) + (0.5 − 0.0001)·ln(0.5/0.0001) = 0.3465736 + 0.4999 · 8.5171932 = 4.6043185
        #expect(abs(DriftStatistics.populationStabilityIndex(reference: [100, 0], current: [50, 50]) - 4.6043185) < 1e-6)
        // Nothing counted on one side is no evidence of drift.
        #expect(DriftStatistics.populationStabilityIndex(reference: [5, 5], current: [0, 0]) == 0)
    }

    @Test func jensenShannonDistanceMatchesHandComputedValues() {
        #expect(DriftStatistics.jensenShannonDistance(reference: [10, 20, 30], current: [10, 20, 30]) == 0)
        #expect(DriftStatistics.jensenShannonDistance(reference: [1, 2], current: [2, 4]) == 0)
        // p = (0.5, 0.5), q = (0.9, 0.1), m = (0.7, 0.3):
        //   KL(p‖m) = 0.5·ln(0.5/0.7) + 0.5·ln(0.5/0.3) = −0.1682361 + 0.2554128 = 0.0871767
        //   KL(q‖m) = 0.9·ln(0.9/0.7) + 0.1·ln(0.1/0.3) = 0.2261830 − 0.1098612 = 0.1163218
        //   distance = √((0.0871767 + 0.1163218) / 2) = √0.1017492 = 0.3189815
        let value = DriftStatistics.jensenShannonDistance(reference: [50, 50], current: [90, 10])
        #expect(abs(value - 0.3189815) < 1e-6)
        #expect(abs(DriftStatistics.jensenShannonDistance(reference: [90, 10], current: [50, 50]) - value) < 1e-12, "symmetric")
        // No bin in common: m = (0.5, 0.5), each KL is ln 2, so the distance is √ln 2 = 0.8325546.
        #expect(abs(DriftStatistics.jensenShannonDistance(reference: [1, 0], current: [0, 1]) - 0.8325546) < 1e-6)
        #expect(DriftStatistics.jensenShannonDistance(reference: [0, 0], current: [3, 1]) == 0)
    }

    // MARK: A profile and a window

    /// Standard normal draws (Box–Muller) from the project's seeded generator, plus `shift`.
    static func normal(_ count: Int, seed: UInt64, shift: Double = 0) -> [Double] {
        var generator = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            let radius = (-2 * log(1 - generator.nextUnit())).squareRoot()
            return radius * cos(2 * Double.pi * generator.nextUnit()) + shift
        }
    }

    /// Six in ten "red", three "green", one "blue", in a fixed cycle, so that any multiple of ten
    /// rows has exactly those shares.
    static func colors(_ count: Int, _ names: [String] = ["red", "green", "blue"]) -> [String] {
        (0..<count).map { names[$0 % 10 < 6 ? 0 : $0 % 10 < 9 ? 1 : 2] }
    }

    /// A regression bundle on x ~ N(0, 1) and a color, profiled on its 5,000 training rows.
    static func normalBundle() throws -> ModelBundle {
        let rows = 5_000
        let x = normal(rows, seed: 7)
        let codes = colors(rows).map { Int32(["red", "green", "blue"].firstIndex(of: $0) ?? -1) }
        let y = x.map { 2 * $0 + 1 }
        let table = try Table(columns: [
            Column(name: "x", storage: .numeric(x)),
            Column(name: "color", storage: .categorical(codes: codes, labels: ["red", "green", "blue"])),
            Column(name: "y", storage: .numeric(y)),
        ])
        let pipeline = try FeaturePipeline.fit(table, target: "y")
        var model = BaselineModel()
        try model.fit(pipeline.transform(table), Targets(task: .regression, values: y, labels: []), weights: nil)
        var bundle = ModelBundle(
            name: "drift", task: .regression, pipeline: pipeline, classLabels: [], metrics: [:],
            training: TrainingRecord(preprocess: nil, features: FeatureOptions(), seed: 7, dataVersion: "test"), model: model
        )
        bundle.referenceProfile = try ReferenceProfile(table: table, bundle: bundle)
        return bundle
    }

    /// Serves `x` and `colors` through the bundle and records each record with its prediction.
    static func replay(_ bundle: ModelBundle, x: [Double], colors: [String], into window: inout DriftWindow) throws {
        let records: [[String: RawValue]] = zip(x, colors).map { ["x": .number($0), "color": .string($1)] }
        for (record, result) in zip(records, bundle.predict(records: records)) {
            window.record(record, prediction: try result.get())
        }
    }

    @Test func aFreshSampleIsStableAndAShiftOfOneStandardDeviationDrifts() throws {
        let bundle = try Self.normalBundle()
        let profile = try #require(bundle.referenceProfile)
        #expect(profile.rows == 5_000)
        #expect(profile.features.map(\.name) == ["x", "color"])
        // Deciles of 5,000 distinct values: edges at the 500th, 1,000th, … value, 500 in each bin.
        let x = profile.features[0]
        #expect(x.kind == .numeric && x.edges.count == 9 && x.missing == 0)
        #expect(x.counts == [Int](repeating: 500, count: 10))
        let color = profile.features[1]
        #expect(color.kind == .categorical && color.categories == ["red", "green", "blue"] && color.counts == [3_000, 1_500, 500])
        #expect(profile.prediction.name == "y" && profile.prediction.kind == .numeric)

        var fresh = DriftWindow(profile: profile, windowSize: 4_000)
        try Self.replay(bundle, x: Self.normal(3_000, seed: 99), colors: Self.colors(3_000), into: &fresh)
        let stable = fresh.report(psiThreshold: 0.2, jensenShannonThreshold: 0.1, minimumRecords: 1_000)
        #expect(stable.records == 3_000)
        #expect(stable.features[0].statistic == .psi && stable.features[0].value < 0.1 && !stable.features[0].drifted)
        // The colors in exactly the training shares.
        #expect(stable.features[1].statistic == .jensenShannon && stable.features[1].value < 1e-12)
        // The baseline predicts the training mean whatever it is given.
        #expect(stable.prediction.statistic == .psi && stable.prediction.value < 1e-12)
        #expect(stable.driftedFeatures.isEmpty && !stable.drifted)

        var shifted = DriftWindow(profile: profile, windowSize: 4_000)
        try Self.replay(bundle, x: Self.normal(3_000, seed: 99, shift: 1), colors: Self.colors(3_000), into: &shifted)
        let moved = shifted.report(psiThreshold: 0.2, jensenShannonThreshold: 0.1, minimumRecords: 1_000)
        #expect(moved.features[0].value > 0.2 && moved.features[0].drifted)
        #expect(moved.driftedFeatures == ["x"] && moved.drifted)
        // Too few records to believe it: the value is reported, drift is not.
        let early = shifted.report(psiThreshold: 0.2, jensenShannonThreshold: 0.1, minimumRecords: 10_000)
        #expect(early.features[0].value == moved.features[0].value && early.driftedFeatures.isEmpty)
    }

    @Test func categoriesThatChangeFrequencyDriftByJensenShannon() throws {
        let bundle = try Self.normalBundle()
        let profile = try #require(bundle.referenceProfile)
        var window = DriftWindow(profile: profile, windowSize: 4_000)
        // p = (0.6, 0.3, 0.1) in training, q = (0.1, 0.3, 0.6) served, m = (0.35, 0.3, 0.35):
        //   KL(p‖m) = 0.6·ln(0.6/0.35) + 0.1·ln(0.1/0.35) = 0.3233979 − 0.1252763 = 0.1981216, KL(q‖m)
        //   the same by symmetry, so the distance is √0.1981216 = 0.4451085.
        try Self.replay(bundle, x: Self.normal(3_000, seed: 99), colors: Self.colors(3_000, ["blue", "green", "red"]), into: &window)
        let report = window.report(psiThreshold: 0.2, jensenShannonThreshold: 0.1, minimumRecords: 1_000)
        #expect(report.features[1].kind == .categorical && report.features[1].statistic == .jensenShannon)
        #expect(abs(report.features[1].value - 0.4451085) < 1e-6)
        #expect(report.driftedFeatures == ["color"])

        // Categories never seen in training fall in `other`, which training left empty: no bin in common.
        var unseen = DriftWindow(profile: profile, windowSize: 4_000)
        try Self.replay(bundle, x: Self.normal(1_000, seed: 5), colors: [String](repeating: "purple", count: 1_000), into: &unseen)
        #expect(abs(unseen.report(psiThreshold: 0.2, jensenShannonThreshold: 0.1, minimumRecords: 1).features[1].value - 0.8325546) < 1e-6)
    }

    /// Fields are binned as the pipeline reads them: numbers on an edge fall in the bin below,
    /// numeric text and dates count as numbers, numbers name categories they spell, booleans
    /// in any case, and anything absent or unreadable is missing.
    @Test func recordValuesFindTheirBins() {
        let numeric = DriftWindow.Slot(
            ReferenceProfile.Entry(name: "n", kind: .numeric, edges: [1, 2, 3], counts: [1, 1, 1, 1], missing: 0), offset: 0)
        #expect(numeric.bin(.number(0.5)) == 0)
        #expect(numeric.bin(.number(1)) == 0)
        #expect(numeric.bin(.number(1.5)) == 1)
        #expect(numeric.bin(.number(3)) == 2)
        #expect(numeric.bin(.number(99)) == 3)
        #expect(numeric.bin(.string(" 2.5 ")) == 2)
        #expect(numeric.bin(.string("2024-03-01")) == 3)
        #expect(numeric.bin(.null) == 4 && numeric.bin(nil) == 4 && numeric.bin(.string("many")) == 4)

        let categorical = DriftWindow.Slot(
            ReferenceProfile.Entry(name: "c", kind: .categorical, categories: ["a", "3", "1.5"], counts: [1, 1, 1], missing: 0), offset: 0)
        #expect(categorical.bin(.string("a")) == 0)
        #expect(categorical.bin(.number(3)) == 1)
        #expect(categorical.bin(.number(1.5)) == 2)
        #expect(categorical.bin(.string("b")) == 3)
        #expect(categorical.bin(.bool(true)) == 3)
        #expect(categorical.bin(.string("A")) == 3)
        #expect(categorical.bin(.null) == 4 && categorical.bin(nil) == 4)

        let flags = DriftWindow.Slot(
            ReferenceProfile.Entry(name: "f", kind: .categorical, categories: ["false", "true"], counts: [1, 1], missing: 0), offset: 0)
        #expect(flags.bin(.bool(true)) == 1 && flags.bin(.bool(false)) == 0)
        #expect(flags.bin(.string("TRUE")) == 1 && flags.bin(.string("False")) == 0)
        #expect(flags.bin(.string("yes")) == 2)
    }

    @Test func theWindowDropsItsOldestGeneration() throws {
        let profile = ReferenceProfile(
            rows: 4,
            features: [ReferenceProfile.Entry(name: "c", kind: .categorical, categories: ["a", "b", "c"], counts: [2, 1, 1], missing: 0)],
            prediction: ReferenceProfile.Entry(name: "y", kind: .numeric, edges: [0], counts: [2, 2], missing: 0)
        )
        let served = Prediction(label: nil, value: 1, probability: nil, probabilities: nil, unknownFields: [])
        let reference = profile.features[0].histogram
        #expect(reference == [2, 1, 1, 0, 0])
        var window = DriftWindow(profile: profile, windowSize: 40, generations: 4)
        #expect(window.generationSize == 10)

        // Each tenth record completes a generation.
        let rotated = (0..<30).map { _ in window.record(["c": .string("a")], prediction: served) }
        #expect(rotated == (1...30).map { $0 % 10 == 0 })
        #expect(window.records == 30)

        // The fourth generation (ten "c") pushes out the first (ten "a"); five more "c" are filling.
        for _ in 0..<15 { window.record(["c": .string("c")], prediction: served) }
        #expect(window.records == 35)
        var report = window.report(psiThreshold: 0.2, jensenShannonThreshold: 0.1, minimumRecords: 0)
        #expect(report.features[0].value == DriftStatistics.jensenShannonDistance(reference: reference, current: [20, 0, 15, 0, 0]))

        // Two generations later no "a" is left.
        for _ in 0..<15 { window.record(["c": .string("c")], prediction: served) }
        #expect(window.records == 30)
        report = window.report(psiThreshold: 0.2, jensenShannonThreshold: 0.1, minimumRecords: 0)
        #expect(report.features[0].value == DriftStatistics.jensenShannonDistance(reference: reference, current: [0, 0, 30, 0, 0]))
        #expect(report.prediction.value == DriftStatistics.populationStabilityIndex(reference: [2, 2, 0], current: [0, 30, 0]))

        // The report's JSON, as the predict role serves it.
        let json = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any])
        #expect(Set(json.keys) == ["records", "features", "prediction", "drifted_features"])
        #expect(json["drifted_features"] as? [String] == ["c"])
        let feature = try #require((json["features"] as? [[String: Any]])?.first)
        #expect(Set(feature.keys) == ["name", "kind", "statistic", "value", "threshold", "drifted"])
        #expect(feature["statistic"] as? String == "jensen_shannon" && feature["kind"] as? String == "categorical")
    }

    // MARK: In bundles

    @Test func theProfileTravelsInBothBundleFormsAndOlderBundlesStillLoad() throws {
        let table = try CSVReader.read(path: RealDatasetTests.datasets.appendingPathComponent("penguins.csv").path)
        let split = try Preprocessor.run(table, spec: PreprocessSpec(target: "species"))
        let trained = try Trainer.train(.init(modelType: "logistic_regression", dataVersion: "test"), split: split, target: "species")
        let profile = try #require(trained.bundle.referenceProfile)
        #expect(profile.rows == split.train.rowCount)
        #expect(profile.features.map(\.name) == trained.bundle.inputSchema.map(\.name))
        #expect(profile.features.first { $0.name == "island" }?.kind == .categorical)
        #expect(profile.features.first { $0.name == "bill_length_mm" }?.kind == .numeric)
        #expect(profile.prediction.name == "species" && profile.prediction.kind == .categorical)
        #expect(Set(profile.prediction.categories).isSubset(of: ["Adelie", "Chinstrap", "Gentoo"]))

        #expect(try ModelBundle.load(from: trained.bundle.fileData()).referenceProfile == profile)
        #expect(try ModelBundle.load(from: trained.bundle.fileData(.json)).referenceProfile == profile)
        // A bundle written before profiles existed has no key, and loads without one.
        var json = try #require(try JSONSerialization.jsonObject(with: trained.bundle.fileData(.json)) as? [String: Any])
        #expect(json["reference_profile"] != nil)
        json["reference_profile"] = nil
        #expect(try ModelBundle.load(from: JSONSerialization.data(withJSONObject: json)).referenceProfile == nil)
        var bare = trained.bundle
        bare.referenceProfile = nil
        #expect(try ModelBundle.load(from: bare.fileData()).referenceProfile == nil)

        // Served records, replayed: one measure per input column, class labels by Jensen-Shannon.
        let inputs = table.columns.filter { $0.name != "species" }
        let records: [[String: RawValue]] = (0..<table.rowCount).map { row in
            Dictionary(uniqueKeysWithValues: inputs.map { ($0.name, RawValue(column: $0, row: row)) })
        }
        var window = DriftWindow(profile: profile, windowSize: 1_000)
        for (record, result) in zip(records, trained.bundle.predict(records: records)) {
            if case .success(let prediction) = result { window.record(record, prediction: prediction) }
        }
        let report = window.report(psiThreshold: 0.2, jensenShannonThreshold: 0.1, minimumRecords: 100)
        #expect(report.records > 0)
        #expect(report.features.map(\.name) == profile.features.map(\.name))
        #expect(report.features.first { $0.name == "island" }?.statistic == .jensenShannon)
        #expect(report.prediction.name == "species" && report.prediction.statistic == .jensenShannon)
    }

    /// A crafted profile is refused when the bundle loads, before the predict role trusts it.
    @Test func craftedProfilesAreRefused() throws {
        let json = try BundleValidationTests.bundle("baseline")
        _ = try BundleValidationTests.load(json)
        let profile = try #require(json["reference_profile"] as? [String: Any])
        let rows = try #require(profile["rows"] as? Int)
        let features = try #require(profile["features"] as? [[String: Any]])
        let numeric = try #require(features.firstIndex { $0["kind"] as? String == "numeric" && ($0["edges"] as? [Any])?.count ?? 0 >= 2 })
        let categorical = try #require(features.firstIndex { $0["kind"] as? String == "categorical" })

        func editing(_ index: Int, _ edit: (inout [String: Any]) -> Void) -> [String: Any] {
            var edited = features
            edit(&edited[index])
            var editedProfile = profile
            editedProfile["features"] = edited
            var tampered = json
            tampered["reference_profile"] = editedProfile
            return tampered
        }
        func categories(_ count: Int) -> (inout [String: Any]) -> Void {
            { entry in
                entry["categories"] = (0..<count).map { "category \($0)" }
                entry["counts"] = [rows] + [Int](repeating: 0, count: count - 1)
                entry["other"] = 0
                entry["missing"] = 0
            }
        }
        // The bound is the limit, not the layout: 64 categories load.
        _ = try BundleValidationTests.load(editing(categorical, categories(64)))

        var withoutEntry = profile
        withoutEntry["features"] = Array(features.dropLast())
        var tamperedWithoutEntry = json
        tamperedWithoutEntry["reference_profile"] = withoutEntry
        var prediction = try #require(profile["prediction"] as? [String: Any])
        prediction["name"] = "not the target"
        var tamperedPrediction = json
        var profileWithPrediction = profile
        profileWithPrediction["prediction"] = prediction
        tamperedPrediction["reference_profile"] = profileWithPrediction

        let crafted: [(String, [String: Any])] = [
            (
                "a NaN edge",
                editing(numeric) { entry in
                    var edges = entry["edges"] as? [Any] ?? []
                    edges[0] = "NaN"
                    entry["edges"] = edges
                }
            ),
            (
                "an infinite edge",
                editing(numeric) { entry in
                    var edges = entry["edges"] as? [Any] ?? []
                    edges[edges.count - 1] = "Infinity"
                    entry["edges"] = edges
                }
            ),
            (
                "descending edges",
                editing(numeric) { entry in
                    entry["edges"] = Array((entry["edges"] as? [Any] ?? []).reversed())
                }
            ),
            (
                "edges without their counts",
                editing(numeric) { entry in
                    entry["counts"] = [rows]
                }
            ),
            ("65 categories", editing(categorical, categories(65))),
            (
                "a category twice",
                editing(categorical) { entry in
                    entry["categories"] = ["twice", "twice"]
                    entry["counts"] = [rows, 0]
                    entry["other"] = 0
                    entry["missing"] = 0
                }
            ),
            (
                "a negative count",
                editing(categorical) { entry in
                    entry["other"] = (entry["other"] as? Int ?? 0) - 1
                    entry["missing"] = (entry["missing"] as? Int ?? 0) + 1
                }
            ),
            (
                "counts that do not add up to the rows",
                editing(categorical) { entry in
                    entry["missing"] = (entry["missing"] as? Int ?? 0) + 1
                }
            ),
            (
                "a name that is not the column's",
                editing(categorical) { entry in
                    entry["name"] = "no such column"
                }
            ),
            (
                "another kind than the column's",
                editing(numeric) { entry in
                    entry["kind"] = "categorical"
                }
            ),
            ("an entry fewer than the columns", tamperedWithoutEntry),
            ("a prediction not named after the target", tamperedPrediction),
        ]
        for (problem, tampered) in crafted {
            #expect(throws: BundleInconsistency.self, "\(problem)") { try BundleValidationTests.load(tampered) }
        }
    }
}
