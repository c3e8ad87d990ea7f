import Foundation
import Kernel
import MLOpsTesting
import Testing

@testable import TrainRole

/// The versions of the training configuration behave the same in SQLite (one train process) and
/// in PostgreSQL (train replicas sharing one database).
extension StoreBackend {
    func withTrainingConfigurations(_ body: (any TrainingConfigurationStore) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            try await Self.withSQLite(migrations: SQLiteTrainingConfigurationStore.registerMigrations) { database in
                try await body(SQLiteTrainingConfigurationStore(database: database))
            }
        case .postgres:
            try await Self.withPostgres(migrations: PostgresTrainingConfigurationStore.migrations) { database, logger in
                try await body(PostgresTrainingConfigurationStore(database: database, logger: logger))
            }
        }
    }
}

@Suite struct TrainingConfigurationContractTests {
    @Test(arguments: StoreBackend.available)
    func everySaveIsANewVersionAndEarlierOnesStayReadable(_ backend: StoreBackend) async throws {
        try await backend.withTrainingConfigurations { store in
            #expect(try await store.current() == .builtIn)
            #expect(try await store.version(0) == .builtIn)
            #expect(try await store.version(1) == nil)

            var first = TrainingConfiguration()
            first.modelTypes = ["decision_tree"]
            first.hyperparameters = ["decision_tree": ["max_depth": 4]]
            first.metric.classification = "roc_auc"
            first.minMetrics = ["roc_auc": 0.8]
            let saved = try await store.save(first, by: "admin")
            #expect(saved.version == 1)
            #expect(saved.updatedBy == "admin")
            #expect(try await store.current().configuration == first)

            var second = first
            second.seed = 7
            #expect(try await store.save(second, by: "ops").version == 2)
            #expect(try await store.current().configuration.seed == 7)
            #expect(try await store.version(1)?.configuration == first)
        }
    }

    /// Saves racing each other (on one replica or several) each get their own version.
    @Test(arguments: StoreBackend.available)
    func parallelSavesGetDistinctVersions(_ backend: StoreBackend) async throws {
        try await backend.withTrainingConfigurations { store in
            let versions = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        var configuration = TrainingConfiguration()
                        configuration.seed = UInt64(index)
                        return try await store.save(configuration, by: "admin").version
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(versions.sorted() == Array(1...8))
        }
    }
}
