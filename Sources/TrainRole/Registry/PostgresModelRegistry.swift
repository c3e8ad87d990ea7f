import Foundation
import Kernel
import Logging
import PostgresNIO

/// `ModelRegistry` in PostgreSQL, shared by every train replica.
struct PostgresModelRegistry: ModelRegistry {
    let database: SharedDatabase
    let logger: Logger

    static let migrations: [SharedDatabase.Migration] = [
        .init(
            "model-registry-v1",
            [
                """
                CREATE TABLE model_versions (
                    seq BIGSERIAL PRIMARY KEY,
                    name TEXT NOT NULL,
                    version TEXT NOT NULL,
                    model_type TEXT NOT NULL,
                    run_id TEXT NOT NULL UNIQUE,
                    experiment_name TEXT NOT NULL,
                    metrics TEXT NOT NULL,
                    bundle_path TEXT NOT NULL,
                    data_version TEXT NOT NULL,
                    job_id TEXT NOT NULL,
                    created_at TIMESTAMPTZ NOT NULL,
                    UNIQUE (name, version)
                )
                """
            ])
    ]

    static let columns = "name, version, model_type, run_id, experiment_name, metrics, bundle_path, data_version, job_id, created_at"

    func versions(_ query: PostgresQuery) async throws -> [ModelVersion] {
        var versions: [ModelVersion] = []
        let rows = try await database.client.query(query, logger: logger)
        for try await row in rows.decode((String, String, String, String, String, String, String, String, String, Date).self) {
            versions.append(
                ModelVersion(
                    name: row.0, version: row.1, modelType: row.2, runID: row.3, experimentName: row.4,
                    metrics: try JSONDecoder().decode([String: Double].self, from: Data(row.5.utf8)),
                    bundlePath: row.6, dataVersion: row.7, jobID: row.8, createdAt: row.9
                ))
        }
        return versions
    }

    func add(_ version: ModelVersion) async throws {
        let metrics = String(decoding: try JSONEncoder().encode(version.metrics), as: UTF8.self)
        try await database.client.query(
            """
            INSERT INTO model_versions (\(unescaped: Self.columns))
            VALUES (\(version.name), \(version.version), \(version.modelType), \(version.runID), \(version.experimentName),
                \(metrics), \(version.bundlePath), \(version.dataVersion), \(version.jobID), \(version.createdAt))
            """,
            logger: logger
        )
    }

    func versions() async throws -> [ModelVersion] {
        try await versions("SELECT \(unescaped: Self.columns) FROM model_versions ORDER BY seq")
    }

    func version(runID: String) async throws -> ModelVersion? {
        try await versions("SELECT \(unescaped: Self.columns) FROM model_versions WHERE run_id = \(runID)").first
    }

    func latest(modelType: String) async throws -> ModelVersion? {
        try await versions("SELECT \(unescaped: Self.columns) FROM model_versions WHERE model_type = \(modelType) ORDER BY seq DESC LIMIT 1")
            .first
    }
}
