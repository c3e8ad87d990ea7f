import Foundation
import GRDB
import Kernel
import MLOpsTesting
import Testing

@testable import TrainRole

/// The embedded tracker behaves the same on SQLite (one train process) and on PostgreSQL (train
/// replicas sharing one database): experiments, runs, search the way MLflow searches, versions.
extension StoreBackend {
    func withEmbeddedTracker(_ body: (any ExperimentTracker) async throws -> Void) async throws {
        let artifacts = FileManager.default.temporaryDirectory.appendingPathComponent("artifacts-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: artifacts) }
        switch self {
        case .sqlite:
            try await Self.withSQLite(migrations: EmbeddedTracker.registerMigrations) { database in
                try await body(EmbeddedTracker(database: database, artifactRoot: artifacts))
            }
        case .postgres:
            try await Self.withPostgres(migrations: PostgresTracker.migrations) { database, logger in
                try await body(PostgresTracker(database: database, artifactRoot: artifacts, logger: logger))
            }
        }
    }
}

@Suite struct TrackerContractTests {
    func finishedRun(_ tracker: any ExperimentTracker, experiment: String, type: String, f1: Double?) async throws -> String {
        let run = try await tracker.startRun(experimentID: experiment, name: type, tags: ["model_type": type])
        try await tracker.log(runID: run, params: ["model_type": type], metrics: f1.map { ["f1": $0] } ?? [:], tags: [:])
        try await tracker.finishRun(runID: run, status: .finished)
        return run
    }

    @Test(arguments: StoreBackend.available)
    func experimentsRunsAndArtifacts(_ backend: StoreBackend) async throws {
        try await backend.withEmbeddedTracker { tracker in
            #expect(try await tracker.findExperiment(named: "crashes") == nil)
            let experiment = try await tracker.experimentID(named: "crashes")
            #expect(try await tracker.experimentID(named: "crashes") == experiment)
            #expect(try await tracker.findExperiment(named: "crashes") == experiment)

            let run = try await tracker.startRun(experimentID: experiment, name: "gbdt", tags: ["model_type": "gradient_boosting"])
            try await tracker.log(runID: run, params: ["n_estimators": "300"], metrics: ["f1": 0.3], tags: ["stage": "fit"])
            try await tracker.log(runID: run, params: ["n_estimators": "300"], metrics: ["f1": 0.37], tags: [:])
            await #expect(throws: TrackingError.self, "a logged parameter never changes") {
                try await tracker.log(runID: run, params: ["n_estimators": "100"], metrics: [:], tags: [:])
            }
            await #expect(throws: TrackingError.self) {
                try await tracker.log(runID: "missing", params: [:], metrics: [:], tags: [:])
            }
            try await tracker.uploadArtifact(runID: run, path: "model/bundle.json", data: Data("{}".utf8))
            #expect(try await tracker.downloadArtifact(runID: run, path: "model/bundle.json") == Data("{}".utf8))
            await #expect(throws: TrackingError.self) { try await tracker.uploadArtifact(runID: run, path: "../escape", data: Data()) }
            await #expect(throws: MissingArtifact.self) { try await tracker.downloadArtifact(runID: run, path: "absent.json") }
            try await tracker.finishRun(runID: run, status: .finished)

            let found = try #require(try await tracker.searchRuns(RunSearch(experimentIDs: [experiment], metric: "f1", higherIsBetter: true)).first)
            #expect(found.runID == run)
            #expect(found.status == .finished)
            #expect(found.params == ["n_estimators": "300"])
            #expect(found.metrics == ["f1": 0.37])
            #expect(found.tags == ["model_type": "gradient_boosting", "stage": "fit"])
            #expect(found.endTime != nil)
            #expect(try await tracker.run(id: run) == found)
            #expect(try await tracker.run(id: "missing") == nil)
        }
    }

    @Test(arguments: StoreBackend.available)
    func searchFindsFinishedRunsWithTheMetricBestFirst(_ backend: StoreBackend) async throws {
        try await backend.withEmbeddedTracker { tracker in
            let crashes = try await tracker.experimentID(named: "crashes")
            let other = try await tracker.experimentID(named: "other")
            let low = try await finishedRun(tracker, experiment: crashes, type: "logistic_regression", f1: 0.2)
            let high = try await finishedRun(tracker, experiment: crashes, type: "gradient_boosting", f1: 0.4)
            _ = try await finishedRun(tracker, experiment: crashes, type: "random_forest", f1: nil)
            let elsewhere = try await finishedRun(tracker, experiment: other, type: "gradient_boosting", f1: 0.9)
            let unfinished = try await tracker.startRun(experimentID: crashes, name: "running", tags: [:])
            try await tracker.log(runID: unfinished, params: [:], metrics: ["f1": 0.99], tags: [:])

            let best = try await tracker.searchRuns(RunSearch(experimentIDs: [crashes], metric: "f1", higherIsBetter: true))
            #expect(best.map(\.runID) == [high, low])
            let worst = try await tracker.searchRuns(RunSearch(experimentIDs: [crashes], metric: "f1", higherIsBetter: false))
            #expect(worst.map(\.runID) == [low, high])
            let everywhere = try await tracker.searchRuns(RunSearch(experimentIDs: [], metric: "f1", higherIsBetter: true))
            #expect(everywhere.map(\.runID) == [elsewhere, high, low])
            let boosted = try await tracker.searchRuns(RunSearch(experimentIDs: [], modelType: "gradient_boosting", metric: "f1", higherIsBetter: true))
            #expect(boosted.map(\.runID) == [elsewhere, high])
            #expect(try await tracker.searchRuns(RunSearch(experimentIDs: [crashes], metric: "f1", higherIsBetter: true, limit: 1)).count == 1)
        }
    }

    /// Two replicas registering versions of one model at the same moment get distinct numbers.
    @Test(arguments: StoreBackend.available)
    func versionsAreNumberedPerModelWithoutGaps(_ backend: StoreBackend) async throws {
        try await backend.withEmbeddedTracker { tracker in
            let experiment = try await tracker.experimentID(named: "crashes")
            let run = try await finishedRun(tracker, experiment: experiment, type: "gradient_boosting", f1: 0.4)
            let versions = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<6 {
                    group.addTask { try await tracker.registerModelVersion(modelName: "crashes-gbdt", runID: run, artifactPath: "model") }
                }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(versions.sorted { Int($0) ?? 0 < Int($1) ?? 0 } == ["1", "2", "3", "4", "5", "6"])
            #expect(try await tracker.registerModelVersion(modelName: "crashes-rf", runID: run, artifactPath: "model") == "1")
            try await tracker.setAlias(modelName: "crashes-gbdt", alias: "champion", version: "2")
            try await tracker.setAlias(modelName: "crashes-gbdt", alias: "champion", version: "6")
        }
    }
}
