import Foundation
import Kernel
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The alert rules and Grafana dashboards under deploy/monitoring query series the roles really
/// export: a renamed metric fails here, not silently on a dashboard. A live `--role all` server
/// is taken through every path that creates a series (training, promotion, a shadow challenger,
/// predictions, feedback, live metrics) and its `/metrics` is read.
@Suite(.serialized) struct MonitoringAssetsTests {
    static let monitoring = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy/monitoring")

    /// Every `mlopsd_…` and `process_…` series a query names, histogram suffixes folded into
    /// their family.
    static func queriedFamilies() throws -> Set<String> {
        var texts = [try String(contentsOf: monitoring.appendingPathComponent("alerts.yml"), encoding: .utf8)]
        let dashboards = monitoring.appendingPathComponent("grafana/dashboards")
        for file in try FileManager.default.contentsOfDirectory(atPath: dashboards.path) where file.hasSuffix(".json") {
            texts.append(try String(contentsOf: dashboards.appendingPathComponent(file), encoding: .utf8))
        }
        let pattern = try NSRegularExpression(pattern: #"\b(?:mlopsd|process)_[a-z_]+\b"#)
        var names = Set<String>()
        for text in texts {
            for match in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let range = Range(match.range, in: text) else { continue }
                var name = String(text[range])
                for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
                    name.removeLast(suffix.count)
                }
                names.insert(name)
            }
        }
        return names
    }

    @Test func everySeriesTheRulesAndDashboardsQueryIsExported() async throws {
        let queried = try Self.queriedFamilies()
        #expect(queried.count >= 12, "the rules and dashboards name \(queried.sorted())")

        let server = try await LiveServer(role: "all", environment: ClientCommandTests.environment)
        defer { _ = server.stop() }
        let client = try ClientCommandTests.Client(server: server)
        defer { client.removeFiles() }
        #expect(try await client.run(["login", "--username", "admin"], input: "client-admin-password\n").status == 0)
        let dataset = try await client.json(["datasets", "upload", ClientCommandTests.datasets.appendingPathComponent("penguins.csv").path])
        let processed = try await client.json(["preprocess", "--dataset", try #require(dataset["id"]?.stringValue), "--target", "species", "--wait"])
        let features = try await client.json(["features", "--version", try #require(processed["result"]?["version"]?.stringValue), "--wait"])
        let trained = try await client.run([
            "train", "--features", try #require(features["result"]?["version"]?.stringValue), "--models", "logistic_regression,decision_tree",
            "--experiment", "penguins", "--wait",
        ])
        #expect(trained.status == 0, "\(trained.errors)")
        #expect(try await client.run(["promote", "--model-type", "logistic_regression"]).status == 0)
        #expect(try await client.run(["canary", "set", "penguins-decision_tree", "--shadow"]).status == 0)

        let record: JSONValue = [
            "island": "Biscoe", "bill_length_mm": 48.6, "bill_depth_mm": 16.0, "flipper_length_mm": 230.0,
            "body_mass_g": 5800.0, "sex": "male", "year": 2009,
        ]
        let input = server.directory.appendingPathComponent("record.json")
        try Data(record.jsonString().utf8).write(to: input)
        var exposition = ""
        for _ in 0..<100 {
            let prediction = try await client.run(["predict", "--input", input.path, "--json"])
            if prediction.status == 0, let id = try? JSONValue(jsonString: prediction.output)["prediction_id"]?.stringValue {
                _ = try await client.run(["feedback", id, "--label", "Gentoo"])
                _ = try await client.run(["performance"])
                let (data, _) = try await URLSession.shared.data(from: server.baseURL.appendingPathComponent("metrics"))
                exposition = String(decoding: data, as: UTF8.self)
                if exposition.contains("mlopsd_shadow_predictions_total") && exposition.contains("mlopsd_live_metric") { break }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let exported = Set(
            exposition.split(separator: "\n").compactMap { line -> String? in
                let fields = line.split(separator: " ")
                return fields.count >= 3 && fields[0] == "#" && fields[1] == "TYPE" ? String(fields[2]) : nil
            })
        let missing = queried.subtracting(exported).sorted()
        #expect(missing.isEmpty, "queried but not exported: \(missing); exported: \(exported.sorted())")
    }
}
