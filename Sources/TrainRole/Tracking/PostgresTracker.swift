import Foundation
import Kernel
import Logging
import PostgresNIO

/// The embedded tracker on the shared PostgreSQL database, for train replicas: experiments, runs
/// and registered model versions in tables every replica sees, artifacts on the models volume
/// they all mount. Searched as MLflow searches, like the SQLite one.
struct PostgresTracker: ExperimentTracker {
    let database: SharedDatabase
    let artifacts: ArtifactDirectory
    let logger: Logger

    var kind: String { "embedded" }

    init(database: SharedDatabase, artifactRoot: URL, logger: Logger) {
        self.database = database
        self.artifacts = ArtifactDirectory(root: artifactRoot)
        self.logger = logger
    }

    static let migrations: [SharedDatabase.Migration] = [
        .init(
            "embedded-tracker-v1",
            [
                "CREATE TABLE tracking_experiments (experiment_id BIGSERIAL PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TIMESTAMPTZ NOT NULL)",
                """
                CREATE TABLE tracking_runs (
                    run_id TEXT PRIMARY KEY,
                    experiment_id BIGINT NOT NULL REFERENCES tracking_experiments,
                    name TEXT NOT NULL,
                    status TEXT NOT NULL,
                    start_time TIMESTAMPTZ NOT NULL,
                    end_time TIMESTAMPTZ,
                    params JSONB NOT NULL,
                    metrics JSONB NOT NULL,
                    tags JSONB NOT NULL
                )
                """,
                """
                CREATE TABLE tracking_model_versions (
                    name TEXT NOT NULL, version INTEGER NOT NULL, run_id TEXT NOT NULL, source TEXT NOT NULL,
                    created_at TIMESTAMPTZ NOT NULL, PRIMARY KEY (name, version)
                )
                """,
                "CREATE TABLE tracking_aliases (name TEXT NOT NULL, alias TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (name, alias))",
            ])
    ]

    func experimentID(named name: String) async throws -> String {
        try await database.client.query(
            "INSERT INTO tracking_experiments (name, created_at) VALUES (\(name), \(Date())) ON CONFLICT (name) DO NOTHING",
            logger: logger
        )
        guard let id = try await findExperiment(named: name) else { throw TrackingError("experiment '\(name)' vanished") }
        return id
    }

    func findExperiment(named name: String) async throws -> String? {
        for try await id in try await database.client.query(
            "SELECT experiment_id FROM tracking_experiments WHERE name = \(name)", logger: logger
        ).decode(Int64.self) {
            return String(id)
        }
        return nil
    }

    func startRun(experimentID: String, name: String, tags: [String: String]) async throws -> String {
        guard let experiment = Int64(experimentID) else { throw TrackingError("no experiment '\(experimentID)'") }
        let runID = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await database.client.query(
            """
            INSERT INTO tracking_runs (run_id, experiment_id, name, status, start_time, params, metrics, tags)
            VALUES (\(runID), \(experiment), \(name), \(RunStatus.running.rawValue), \(Date()), '{}', '{}', \(try RunFields.json(tags))::JSONB)
            """,
            logger: logger
        )
        return runID
    }

    func log(runID: String, params: [String: String], metrics: [String: Double], tags: [String: String]) async throws {
        try await database.transaction { connection in
            var stored: (params: String, metrics: String, tags: String)?
            let rows = try await connection.query(
                "SELECT params::TEXT, metrics::TEXT, tags::TEXT FROM tracking_runs WHERE run_id = \(runID) FOR UPDATE", logger: logger
            )
            for try await row in rows.decode((String, String, String).self) {
                stored = row
            }
            guard let stored else { throw TrackingError("no run '\(runID)'") }
            var fields = try RunFields(params: stored.params, metrics: stored.metrics, tags: stored.tags)
            try fields.log(params: params, metrics: metrics, tags: tags)
            try await connection.query(
                """
                UPDATE tracking_runs SET params = \(try RunFields.json(fields.params))::JSONB,
                    metrics = \(try RunFields.json(fields.metrics))::JSONB, tags = \(try RunFields.json(fields.tags))::JSONB
                WHERE run_id = \(runID)
                """,
                logger: logger
            )
        }
    }

    func uploadArtifact(runID: String, path: String, data: Data) async throws {
        try artifacts.write(data, to: try await artifactURL(runID: runID, path: path))
    }

    func downloadArtifact(runID: String, path: String) async throws -> Data {
        try artifacts.read(try await artifactURL(runID: runID, path: path), runID: runID, path: path)
    }

    func finishRun(runID: String, status: RunStatus) async throws {
        try await database.client.query(
            "UPDATE tracking_runs SET status = \(status.rawValue), end_time = \(Date()) WHERE run_id = \(runID)", logger: logger
        )
    }

    func searchRuns(_ search: RunSearch) async throws -> [TrackedRun] {
        let experiments = search.experimentIDs.compactMap { Int64($0) }
        let order = search.higherIsBetter ? "DESC" : "ASC"
        let rows = try await database.client.query(
            """
            SELECT run_id, experiment_id, name, status, start_time, end_time, params::TEXT, metrics::TEXT, tags::TEXT
            FROM tracking_runs
            WHERE status = 'FINISHED' AND metrics ? \(search.metric)
                AND (\(experiments.isEmpty) OR experiment_id = ANY(\(experiments)))
                AND (\(search.modelType)::TEXT IS NULL OR tags ->> 'model_type' = \(search.modelType))
            ORDER BY (metrics ->> \(search.metric))::DOUBLE PRECISION \(unescaped: order), start_time DESC
            LIMIT \(search.limit)
            """,
            logger: logger
        )
        return try await Self.runs(from: rows)
    }

    func run(id runID: String) async throws -> TrackedRun? {
        let rows = try await database.client.query(
            """
            SELECT run_id, experiment_id, name, status, start_time, end_time, params::TEXT, metrics::TEXT, tags::TEXT
            FROM tracking_runs WHERE run_id = \(runID)
            """,
            logger: logger
        )
        return try await Self.runs(from: rows).first
    }

    private static func runs(from rows: PostgresRowSequence) async throws -> [TrackedRun] {
        var runs: [TrackedRun] = []
        for try await row in rows.decode((String, Int64, String, String, Date, Date?, String, String, String).self) {
            let fields = try RunFields(params: row.6, metrics: row.7, tags: row.8)
            runs.append(
                TrackedRun(
                    runID: row.0, experimentID: String(row.1), name: row.2, status: RunStatus(rawValue: row.3) ?? .failed,
                    startTime: row.4, endTime: row.5, params: fields.params, metrics: fields.metrics, tags: fields.tags
                ))
        }
        return runs
    }

    /// Versions are numbered per name; a transaction lock on the name keeps two replicas
    /// registering at once from taking the same number.
    func registerModelVersion(modelName: String, runID: String, artifactPath: String) async throws -> String {
        try await database.transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(modelName)))", logger: logger)
            let rows = try await connection.query(
                """
                INSERT INTO tracking_model_versions (name, version, run_id, source, created_at)
                SELECT \(modelName), COALESCE(MAX(version), 0) + 1, \(runID), \("runs:/\(runID)/\(artifactPath)"), \(Date())
                FROM tracking_model_versions WHERE name = \(modelName)
                RETURNING version
                """,
                logger: logger
            )
            for try await version in rows.decode(Int.self) {
                return String(version)
            }
            throw TrackingError("model version for '\(modelName)' not registered")
        }
    }

    func setAlias(modelName: String, alias: String, version: String) async throws {
        guard let number = Int(version) else { throw TrackingError("version '\(version)' is not a number") }
        try await database.client.query(
            """
            INSERT INTO tracking_aliases (name, alias, version) VALUES (\(modelName), \(alias), \(number))
            ON CONFLICT (name, alias) DO UPDATE SET version = EXCLUDED.version
            """,
            logger: logger
        )
    }

    private func artifactURL(runID: String, path: String) async throws -> URL {
        for try await experiment in try await database.client.query(
            "SELECT experiment_id FROM tracking_runs WHERE run_id = \(runID)", logger: logger
        ).decode(Int64.self) {
            return try artifacts.url(experimentID: String(experiment), runID: runID, path: path)
        }
        throw TrackingError("no run '\(runID)'")
    }
}
