import Foundation
import Testing

@Suite struct PipelineCommandTests {
    static let penguins = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("../shared/datasets/penguins.csv").standardized.path

    @Test func pipelineWritesALeaderboardAndBundlesThatPredict() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pipeline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("models").path
        let run = try await Binary.run(
            [
                "pipeline", "--data", Self.penguins, "--target", "species", "--models", "baseline,logistic_regression,random_forest",
                "--params", #"{"random_forest": {"n_estimators": 20}}"#, "--out", out,
            ],
            environment: [:], directory: directory
        )
        #expect(run.status == 0, "\(run.errors)")
        let lines = run.output.split(separator: "\n")
        // Ranked by F1: a real model first, the prior-only baseline last.
        #expect(lines.contains { $0.hasPrefix("1  ") && !$0.contains("baseline") })
        #expect(lines.last?.contains("baseline") == true)

        let leaderboard = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/leaderboard.json"))) as? [String: Any]
        let models = leaderboard?["models"] as? [[String: Any]]
        #expect(models?.count == 3)
        let best = try #require(models?.first?["metrics"] as? [String: Double])
        #expect(try #require(best["f1"]) > 0.95)

        let records = directory.appendingPathComponent("records.json")
        try
            #"[{"island": "Biscoe", "bill_length_mm": 48, "bill_depth_mm": 15, "flipper_length_mm": 220, "body_mass_g": 5400, "sex": "male", "year": 2009}, {"island": 3}]"#
            .write(to: records, atomically: true, encoding: .utf8)
        let predicted = try await Binary.run(
            ["predict", "--bundle", out + "/random_forest.mlbundle", "--input", records.path], environment: [:], directory: directory
        )
        #expect(predicted.status == 0, "\(predicted.errors)")
        let results = predicted.output.split(separator: "\n").map { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(results.first??["prediction"] as? String == "Gentoo")
        let errors = results.last??["errors"] as? [[String: String]]
        #expect(errors?.contains { $0["field"] == "bill_length_mm" && $0["problem"] == "required field is missing" } == true)
    }

    @Test func badArgumentsAreExplained() async throws {
        let directory = FileManager.default.temporaryDirectory
        let unknown = try await Binary.run(["pipeline", "--data", Self.penguins, "--target", "nope"], environment: [:], directory: directory)
        #expect(unknown.status != 0)
        #expect(unknown.errors.contains("no column named 'nope'"))
        let model = try await Binary.run(
            ["pipeline", "--data", Self.penguins, "--target", "species", "--models", "magic", "--out", "/tmp/mlopsd-bad-model"], environment: [:],
            directory: directory)
        #expect(model.status != 0)
        #expect(model.errors.contains("unknown model type 'magic'"))
    }
}
