import Foundation
import GRDB
import Kernel
import MLOpsTesting
import Testing

@testable import TrainRole

/// The registry of model versions behaves the same in SQLite (one train process) and in
/// PostgreSQL (train replicas sharing one database).
extension StoreBackend {
    func withModelRegistry(_ body: (any ModelRegistry) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            try await Self.withSQLite(migrations: SQLiteModelRegistry.registerMigrations) { database in
                try await body(SQLiteModelRegistry(database: database))
            }
        case .postgres:
            try await Self.withPostgres(migrations: PostgresModelRegistry.migrations) { database, logger in
                try await body(PostgresModelRegistry(database: database, logger: logger))
            }
        }
    }
}

@Suite struct ModelRegistryContractTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func version(_ name: String, _ number: Int, type: String, run: String) -> ModelVersion {
        ModelVersion(
            name: name, version: "\(number)", modelType: type, runID: run, experimentName: "crashes",
            metrics: ["f1": 0.37, "roc_auc": 0.91], bundlePath: "runs/\(run)/model.mlbundle", dataVersion: "md5-\(run)",
            jobID: "job-\(run)", createdAt: now.addingTimeInterval(TimeInterval(number))
        )
    }

    @Test(arguments: StoreBackend.available)
    func versionsAreKeptInOrderAndFoundByRunAndType(_ backend: StoreBackend) async throws {
        try await backend.withModelRegistry { registry in
            let versions = [
                version("crashes-gradient_boosting", 1, type: "gradient_boosting", run: "r1"),
                version("crashes-random_forest", 1, type: "random_forest", run: "r2"),
                version("crashes-gradient_boosting", 2, type: "gradient_boosting", run: "r3"),
            ]
            for version in versions { try await registry.add(version) }
            #expect(try await registry.versions() == versions)
            #expect(try await registry.version(runID: "r2") == versions[1])
            #expect(try await registry.version(runID: "missing") == nil)
            #expect(try await registry.latest(modelType: "gradient_boosting") == versions[2])
            #expect(try await registry.latest(modelType: "logistic_regression") == nil)
        }
    }

    @Test(arguments: StoreBackend.available)
    func aRunOrANameAndVersionIsRegisteredOnce(_ backend: StoreBackend) async throws {
        try await backend.withModelRegistry { registry in
            try await registry.add(version("crashes-random_forest", 1, type: "random_forest", run: "r1"))
            await #expect(throws: (any Error).self) {
                try await registry.add(version("crashes-random_forest", 2, type: "random_forest", run: "r1"))
            }
            await #expect(throws: (any Error).self) {
                try await registry.add(version("crashes-random_forest", 1, type: "random_forest", run: "r2"))
            }
            #expect(try await registry.versions().count == 1)
        }
    }
}
