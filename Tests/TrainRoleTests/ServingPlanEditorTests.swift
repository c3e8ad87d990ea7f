import Foundation
import Hummingbird
import HummingbirdTesting
import Kernel
import MLCore
import MLOpsTesting
import Testing

/// Pinning, the challenger and its promotion through the train role's API, down to the files the
/// predict replicas follow.
@Suite struct ServingPlanEditorTests {
    @Test func pinsSetsAChallengerAndPromotesItInOneCall() async throws {
        let harness = try await TrainHarness()
        defer { harness.environment.removeFiles() }
        let models = harness.modelsDirectory
        try await harness.run { client in
            let version = try await client.dataVersion(
                csv: TrainRoleTests.penguins, name: "penguins", target: "species", features: ["encoding": "one_hot"], token: harness.admin)
            let job = try await client.finishedJob(
                try await client.send(
                    .post, "/api/v1/train",
                    json: [
                        "features_version": .string(version), "model_types": ["logistic_regression", "random_forest"],
                        "hyperparameters": ["random_forest": ["n_estimators": 10]], "experiment_name": "penguins",
                    ], token: harness.admin), role: "train", token: harness.admin)
            #expect(job["status"] == "completed", "\(job)")
            let empty = try await client.send(.get, "/api/v1/train/serving", token: harness.admin).json()
            #expect(empty["pinned"] == [])
            #expect(empty["challenger"] == nil || empty["challenger"] == .null)

            let pinned = try await client.send(.post, "/api/v1/train/models/penguins-random_forest/pin", token: harness.admin)
            #expect(pinned.status == .ok, "\(String(buffer: pinned.body))")
            let pin = try #require(try pinned.json()["pinned"]?[0])
            #expect(pin["model_name"] == "penguins-random_forest")
            #expect(pin["version"] == "1")
            let bundle = try Data(contentsOf: models.appendingPathComponent(try #require(pin["bundle_path"]?.stringValue)))
            #expect(DataVersion.digest(of: bundle).md5 == pin["bundle_md5"]?.stringValue)
            #expect(try await FileChampionStore(modelsDirectory: models).plan()?.pinned.first?.modelName == "penguins-random_forest")

            let unknown = try await client.send(.post, "/api/v1/train/models/penguins-nope/pin", token: harness.admin)
            #expect(unknown.status == .notFound)
            #expect(try unknown.json()["error"]?["details"]?[0]?["field"] == "name")
            let noVersion = try await client.send(.post, "/api/v1/train/models/penguins-random_forest/pin", json: ["version": "9"], token: harness.admin)
            #expect(noVersion.status == .notFound)
            #expect(try noVersion.json()["error"]?["details"]?[0]?["field"] == "version")

            let tooMuch = try await client.send(
                .put, "/api/v1/train/canary", json: ["challenger": "penguins-random_forest", "share": 1.5], token: harness.admin)
            #expect(tooMuch.status == .unprocessableContent)
            #expect(try tooMuch.json()["error"]?["details"]?[0]?["field"] == "share")
            let noShare = try await client.send(.put, "/api/v1/train/canary", json: ["challenger": "penguins-random_forest"], token: harness.admin)
            #expect(noShare.status == .unprocessableContent)
            #expect(try await client.send(.delete, "/api/v1/train/canary", token: harness.admin).status == .notFound)
            #expect(try await client.send(.post, "/api/v1/train/canary/promote", token: harness.admin).status == .notFound)

            let linear = try await client.send(.post, "/api/v1/train/fetch-best-model", json: ["model_type": "logistic_regression"], token: harness.admin)
            #expect(linear.status == .ok)
            let canary = try await client.send(
                .put, "/api/v1/train/canary", json: ["challenger": "penguins-random_forest", "version": "1", "share": 0.2], token: harness.admin)
            #expect(canary.status == .ok, "\(String(buffer: canary.body))")
            #expect(try canary.json()["challenger"]?["share"] == 0.2)
            #expect(try canary.json()["challenger"]?["mode"] == "canary")
            #expect(try canary.json()["champion"]?["model_type"] == "logistic_regression")
            let shadow = try await client.send(
                .put, "/api/v1/train/canary", json: ["challenger": "penguins-random_forest", "mode": "shadow"], token: harness.admin)
            #expect(try shadow.json()["challenger"]?["mode"] == "shadow")
            #expect(try shadow.json()["challenger"]?["share"] == 0)

            let promoted = try await client.send(.post, "/api/v1/train/canary/promote", token: harness.admin)
            #expect(promoted.status == .ok, "\(String(buffer: promoted.body))")
            #expect(try promoted.json()["champion"]?["model_name"] == "penguins-random_forest")
            #expect(try promoted.json()["previous"]?["model_type"] == "logistic_regression")
            let pointer = try #require(try ChampionPointer.read(modelsDirectory: models))
            #expect(pointer.modelName == "penguins-random_forest")
            #expect(pointer.promotedBy == "admin")
            let after = try await client.send(.get, "/api/v1/train/serving", token: harness.admin).json()
            #expect(after["challenger"] == nil || after["challenger"] == .null)
            #expect(after["champion"]?["model_name"] == "penguins-random_forest")
            #expect(after["pinned"]?.arrayCount == 1, "promotion leaves the pinned versions alone")
            #expect(try await client.send(.get, "/api/v1/train/models", token: harness.admin).json()["champion"]?["model_name"] == "penguins-random_forest")

            let unpinned = try await client.send(.delete, "/api/v1/train/models/penguins-random_forest/pin", token: harness.admin)
            #expect(try unpinned.json()["pinned"] == [])
            #expect(try await client.send(.delete, "/api/v1/train/models/penguins-random_forest/pin", token: harness.admin).status == .notFound)
        }
    }
}
