import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Crashes rows as a client sends them, with their labels: numbers where the file has numbers.
struct CrashesRows {
    var records: [[String: any Sendable]] = []
    var labels: [String] = []

    init() throws {
        let text = try String(contentsOf: Edge.dataset("crashes.csv"), encoding: .utf8)
        var lines = text.split(whereSeparator: \.isNewline).map(String.init)
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        for line in lines {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == header.count, !fields.contains(where: { $0.isEmpty || $0 == "NA" }) else { continue }
            var record: [String: any Sendable] = [:]
            for (name, value) in zip(header, fields) where !["caseid", "injSeverity"].contains(name) {
                if name == "dead" {
                    labels.append(value)
                } else {
                    record[name] = Double(value).map { $0 as any Sendable } ?? value
                }
            }
            records.append(record)
        }
    }

    /// `count` rows in a fixed shuffled order: the file is grouped by year.
    func sample(_ count: Int, offset: Int = 0) -> [(record: [String: any Sendable], label: String)] {
        (0..<count).map { index in
            let row = ((index + offset) * 7919) % records.count
            return (records[row], labels[row])
        }
    }
}

extension EdgeSuites {
    /// Issue 20's serving features, only through nginx: pinned versions, the canary's share and
    /// stickiness, the shadow, drift and live metrics from feedback, with every predict replica
    /// behind the edge following the same plan.
    @Suite(.enabled(if: Edge.client != nil, "set MLOPSD_TEST_EDGE_URL to run against a local topology"))
    struct EdgeServingTests {
        let client: HTTPTestClient
        let session: EdgeSession
        let adminPassword: String

        init() throws {
            client = try #require(Edge.client)
            session = EdgeSession(client: client)
            adminPassword = try #require(Edge.adminPassword)
        }

        /// A JSON request that waits out the edge's rate limit as a client should.
        func send(_ method: String, _ path: String, _ object: [String: Any], token: String, requestID: String? = nil) async throws -> HTTPTestClient.Reply {
            let body = try JSONSerialization.data(withJSONObject: object)
            var reply = try await client.request(
                method, path, body: body, contentType: "application/json", token: token, headers: requestID.map { ["X-Request-ID": $0] } ?? [:])
            for _ in 0..<100 where reply.status == 429 {
                try await Task.sleep(for: .milliseconds(100))
                reply = try await client.request(
                    method, path, body: body, contentType: "application/json", token: token, headers: requestID.map { ["X-Request-ID": $0] } ?? [:])
            }
            return reply
        }

        func get(_ path: String, token: String) async throws -> [String: Any] {
            var reply = try await client.request("GET", path, token: token)
            for _ in 0..<100 where reply.status == 429 {
                try await Task.sleep(for: .milliseconds(100))
                reply = try await client.request("GET", path, token: token)
            }
            #expect(reply.status == 200, "\(path): \(String(decoding: reply.body, as: UTF8.self))")
            return try reply.json()
        }

        /// Waits until twelve answers in a row (every replica, round robin) satisfy `served`.
        func untilEveryReplica(token: String, _ served: ([[String: Any]]) -> Bool) async throws {
            var inARow = 0
            let deadline = ContinuousClock.now + .seconds(60)
            while inARow < 12, ContinuousClock.now < deadline {
                let models = try await get("api/v1/predict/models", token: token)["models"] as? [[String: Any]] ?? []
                inARow = served(models) ? inARow + 1 : 0
                if inARow == 0 { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(inARow >= 12, "the replicas did not all follow the serving plan within 60 s")
        }

        @Test func pinnedCanaryShadowDriftAndFeedbackThroughNginx() async throws {
            let admin = try await session.token("admin", adminPassword)
            let experiment = "edge-serving-\(UUID().uuidString.prefix(8).lowercased())"
            _ = try await session.trainChampion(admin: admin, experiment: experiment, modelTypes: ["logistic_regression", "random_forest"])
            let linear = "\(experiment)-logistic_regression"
            let forest = "\(experiment)-random_forest"
            let promoted = try await send(
                "POST", "api/v1/train/fetch-best-model", ["experiment_name": experiment, "model_type": "logistic_regression"], token: admin)
            #expect(promoted.status == 200, "\(String(decoding: promoted.body, as: UTF8.self))")

            // Pinned: the forest, and the champion's own version in an arm (and drift window) of its own.
            let forestPin = try await send("POST", "api/v1/train/models/\(forest)/pin", [:], token: admin)
            #expect(forestPin.status == 200, "\(String(decoding: forestPin.body, as: UTF8.self))")
            let forestVersion = try #require((try forestPin.json()["pinned"] as? [[String: Any]])?.last?["version"] as? String)
            let linearPin = try await send("POST", "api/v1/train/models/\(linear)/pin", [:], token: admin)
            let linearVersion = try #require((try linearPin.json()["pinned"] as? [[String: Any]])?.last?["version"] as? String)
            try await untilEveryReplica(token: admin) { models in
                models.first { $0["arm"] as? String == "champion" }?["name"] as? String == linear
                    && models.filter { $0["arm"] as? String == "pinned" && [linear, forest].contains($0["name"] as? String ?? "") }.count == 2
            }
            let rows = try CrashesRows()
            let record = rows.sample(1)[0].record
            let byVersion = try await send("POST", "api/v1/predict", ["features": record, "model_name": forest, "model_version": forestVersion], token: admin)
            #expect(byVersion.status == 200, "\(String(decoding: byVersion.body, as: UTF8.self))")
            #expect(try byVersion.json()["arm"] as? String == "pinned")
            #expect(try byVersion.json()["model_type"] as? String == "random_forest")
            let champion = try await send("POST", "api/v1/predict", ["features": record], token: admin)
            #expect(try champion.json()["arm"] as? String == "champion")
            #expect(try champion.json()["model_name"] as? String == linear)

            // Drift: held-out-like rows to the pinned forest are quiet; the same kind of rows with
            // the occupant's age moved by one standard deviation flag that feature on the pinned
            // linear model. Batches spread over the replicas; each keeps its own window.
            let ages = rows.records.compactMap { $0["ageOFocc"] as? Double }
            let meanAge = ages.reduce(0, +) / Double(ages.count)
            let ageDeviation = (ages.map { ($0 - meanAge) * ($0 - meanAge) }.reduce(0, +) / Double(ages.count - 1)).squareRoot()
            for batch in 0..<12 {
                let quiet = rows.sample(100, offset: batch * 100).map(\.record)
                let moved = rows.sample(100, offset: 5000 + batch * 100).map { row -> [String: any Sendable] in
                    var record = row.record
                    record["ageOFocc"] = (record["ageOFocc"] as? Double ?? 0) + ageDeviation
                    return record
                }
                #expect(
                    try await send(
                        "POST", "api/v1/predict/batch", ["features_list": quiet, "model_name": forest, "model_version": forestVersion], token: admin
                    ).status == 200)
                #expect(
                    try await send(
                        "POST", "api/v1/predict/batch", ["features_list": moved, "model_name": linear, "model_version": linearVersion], token: admin
                    ).status == 200)
            }
            var flaggedAnswers = 0
            var quietAnswers = 0
            var lastReport: [[String: Any]] = []
            for _ in 0..<12 {
                let report = try await get("api/v1/predict/drift", token: admin)["models"] as? [[String: Any]] ?? []
                lastReport = report
                let quiet = report.first { $0["arm"] as? String == "pinned" && $0["model_name"] as? String == forest }
                let moved = report.first { $0["arm"] as? String == "pinned" && $0["model_name"] as? String == linear }
                #expect(quiet?["drifted_features"] as? [String] == [], "\(quiet ?? [:])")
                if (quiet?["records"] as? Int ?? 0) >= 200 { quietAnswers += 1 }
                if (moved?["records"] as? Int ?? 0) >= 200 {
                    #expect(moved?["drifted_features"] as? [String] == ["ageOFocc"], "\(moved ?? [:])")
                    flaggedAnswers += 1
                }
            }
            #expect(quietAnswers > 0, "no replica held enough unshifted records to judge")
            #expect(
                flaggedAnswers > 0,
                "no replica held enough shifted records to judge: \(lastReport.map { "\($0["model_name"] ?? "") \($0["model_version"] ?? "") \($0["arm"] ?? "") \($0["records"] ?? "") \($0["drifted_features"] ?? "")" })"
            )

            // Canary: 30% of unaddressed requests, chosen by request id, so a retry sticks.
            let canary = try await send("PUT", "api/v1/train/canary", ["challenger": forest, "version": forestVersion, "share": 0.3], token: admin)
            #expect(canary.status == 200, "\(String(decoding: canary.body, as: UTF8.self))")
            try await untilEveryReplica(token: admin) { models in
                models.contains { $0["arm"] as? String == "challenger" && $0["mode"] as? String == "canary" && $0["share"] as? Double == 0.3 }
            }
            let arms = try await withThrowingTaskGroup(of: [(String, String)].self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var seen: [(String, String)] = []
                        for index in stride(from: worker, to: 2000, by: 8) {
                            let id = "\(experiment)-canary-\(index)"
                            let reply = try await send("POST", "api/v1/predict", ["features": record], token: admin, requestID: id)
                            seen.append((id, try reply.json()["arm"] as? String ?? "status \(reply.status)"))
                        }
                        return seen
                    }
                }
                return try await group.reduce(into: [String: String]()) { all, seen in
                    for (id, arm) in seen { all[id] = arm }
                }
            }
            #expect(arms.count == 2000)
            #expect(Set(arms.values).isSubset(of: ["champion", "challenger"]), "\(Set(arms.values))")
            let share = Double(arms.values.count { $0 == "challenger" }) / 2000
            #expect(abs(share - 0.3) <= 0.03, "the challenger answered \(share)")
            for index in stride(from: 0, to: 2000, by: 20) {
                let id = "\(experiment)-canary-\(index)"
                let again = try await send("POST", "api/v1/predict", ["features": record], token: admin, requestID: id)
                #expect(try again.json()["arm"] as? String == arms[id], "request id \(id) moved")
            }

            // Shadow: the champion answers everything, exactly as when named; the challenger's
            // agreement is counted off the request path.
            let shadow = try await send("PUT", "api/v1/train/canary", ["challenger": forest, "version": forestVersion, "mode": "shadow"], token: admin)
            #expect(shadow.status == 200)
            try await untilEveryReplica(token: admin) { models in
                models.contains { $0["arm"] as? String == "challenger" && $0["mode"] as? String == "shadow" }
            }
            for (row, _) in rows.sample(30, offset: 9000) {
                let unaddressed = try await send("POST", "api/v1/predict", ["features": row], token: admin).json()
                let named = try await send("POST", "api/v1/predict", ["features": row, "model_name": linear], token: admin).json()
                #expect(unaddressed["arm"] as? String == "champion")
                #expect(unaddressed["prediction"] as? String == named["prediction"] as? String)
                #expect(unaddressed["probabilities"] as? [String: Double] == named["probabilities"] as? [String: Double])
            }
            var compared = 0
            for _ in 0..<100 where compared == 0 {
                let models = try await get("api/v1/predict/models", token: admin)["models"] as? [[String: Any]] ?? []
                compared = (models.first { $0["arm"] as? String == "challenger" }?["shadow"] as? [String: Any])?["compared"] as? Int ?? 0
                if compared == 0 { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(compared > 0, "no replica recorded a shadow comparison")

            // Feedback: the live metrics of the pinned forest are those of its answers and the
            // labels, computed here.
            let labelled = rows.sample(300, offset: 12000)
            let batch = try await send(
                "POST", "api/v1/predict/batch", ["features_list": labelled.map(\.record), "model_name": forest, "model_version": forestVersion], token: admin)
            let predictions = try #require(try batch.json()["predictions"] as? [[String: Any]])
            #expect(predictions.count == 300)
            let feedback = zip(predictions, labelled).map { prediction, row in
                ["prediction_id": prediction["prediction_id"] as? String ?? "", "label": row.label]
            }
            let sent = try await send("POST", "api/v1/predict/feedback", ["feedback": feedback], token: admin)
            #expect(sent.status == 200, "\(String(decoding: sent.body, as: UTF8.self))")
            #expect(try sent.json()["accepted"] as? Int == 300)
            let predicted = predictions.map { $0["prediction"] as? String ?? "" }
            let truth = labelled.map(\.label)
            let truePositives = Double(zip(predicted, truth).count { $0 == "dead" && $1 == "dead" })
            let falsePositives = Double(zip(predicted, truth).count { $0 == "dead" && $1 != "dead" })
            let falseNegatives = Double(zip(predicted, truth).count { $0 != "dead" && $1 == "dead" })
            let accuracy = Double(zip(predicted, truth).count { $0 == $1 }) / 300
            let f1 = truePositives == 0 ? 0 : 2 * truePositives / (2 * truePositives + falsePositives + falseNegatives)
            let performance = try await get("api/v1/predict/performance", token: admin)["models"] as? [[String: Any]] ?? []
            let live = try #require(performance.first { $0["arm"] as? String == "pinned" && $0["model_name"] as? String == forest })
            #expect(live["feedback"] as? Int == 300)
            let metrics = live["metrics"] as? [String: Double] ?? [:]
            #expect(abs((metrics["accuracy"] ?? -1) - accuracy) < 1e-9, "live \(metrics), offline accuracy \(accuracy)")
            #expect(abs((metrics["f1"] ?? -1) - f1) < 1e-9, "live \(metrics), offline f1 \(f1)")

            // Back to the champion alone.
            #expect(try await client.request("DELETE", "api/v1/train/canary", token: admin).status == 200)
            #expect(try await client.request("DELETE", "api/v1/train/models/\(forest)/pin", token: admin).status == 200)
            #expect(try await client.request("DELETE", "api/v1/train/models/\(linear)/pin", token: admin).status == 200)
        }
    }
}
