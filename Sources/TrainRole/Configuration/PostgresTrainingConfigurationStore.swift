import Foundation
import Kernel
import Logging
import PostgresNIO

/// `TrainingConfigurationStore` in PostgreSQL, shared by every train replica.
struct PostgresTrainingConfigurationStore: TrainingConfigurationStore {
    let database: SharedDatabase
    let logger: Logger

    static let migrations: [SharedDatabase.Migration] = [
        .init(
            "training-configurations-v1",
            [
                """
                CREATE TABLE training_configurations (
                    version BIGINT PRIMARY KEY, configuration TEXT NOT NULL, updated_by TEXT NOT NULL, updated_at TIMESTAMPTZ NOT NULL
                )
                """
            ])
    ]

    func current() async throws -> StoredTrainingConfiguration {
        try await first(
            "SELECT version, configuration, updated_by, updated_at FROM training_configurations ORDER BY version DESC LIMIT 1") ?? .builtIn
    }

    func version(_ version: Int) async throws -> StoredTrainingConfiguration? {
        if version == 0 { return .builtIn }
        return try await first(
            "SELECT version, configuration, updated_by, updated_at FROM training_configurations WHERE version = \(version)")
    }

    /// Replicas saving at the same moment take turns on the table lock, so each gets its own
    /// version number.
    func save(_ configuration: TrainingConfiguration, by username: String) async throws -> StoredTrainingConfiguration {
        let text = try configuration.encodedJSON()
        let now = Date()
        let logger = logger
        let version = try await database.transaction { connection in
            try await connection.query("LOCK TABLE training_configurations IN EXCLUSIVE MODE", logger: logger)
            let rows = try await connection.query(
                """
                INSERT INTO training_configurations (version, configuration, updated_by, updated_at)
                SELECT COALESCE(MAX(version), 0) + 1, \(text), \(username), \(now) FROM training_configurations
                RETURNING version
                """,
                logger: logger
            )
            for try await version in rows.decode(Int.self) { return version }
            throw PostgresStoreError(problem: "no version returned for the new training configuration")
        }
        return StoredTrainingConfiguration(version: version, configuration: configuration, updatedAt: now, updatedBy: username)
    }

    private func first(_ query: PostgresQuery) async throws -> StoredTrainingConfiguration? {
        let rows = try await database.client.query(query, logger: logger)
        for try await (version, text, username, at) in rows.decode((Int, String, String, Date).self) {
            return StoredTrainingConfiguration(
                version: version, configuration: try TrainingConfiguration.decoded(text), updatedAt: at, updatedBy: username)
        }
        return nil
    }
}
