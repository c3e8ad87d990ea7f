import Foundation
import GRDB
import Kernel

/// The tracker used without `MLFLOW_TRACKING_URI`: experiments, runs and registered model
/// versions in the train role's SQLite database, artifacts under
/// `MLOPSD_MODELS_DIR/tracking/<experiment>/<run>/artifacts/`, searched the way MLflow searches.
struct EmbeddedTracker: ExperimentTracker {
    let database: AppDatabase
    let artifacts: ArtifactDirectory

    init(database: AppDatabase, artifactRoot: URL) {
        self.database = database
        self.artifacts = ArtifactDirectory(root: artifactRoot)
    }

    var kind: String { "embedded" }

    static func registerMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("embedded-tracker-v1") { db in
            try db.create(table: "tracking_experiments") { table in
                table.autoIncrementedPrimaryKey("experiment_id")
                table.column("name", .text).notNull().unique()
                table.column("created_at", .datetime).notNull()
            }
            try db.create(table: "tracking_runs") { table in
                table.primaryKey("run_id", .text)
                table.column("experiment_id", .integer).notNull().references("tracking_experiments")
                table.column("name", .text).notNull()
                table.column("status", .text).notNull()
                table.column("start_time", .datetime).notNull()
                table.column("end_time", .datetime)
                table.column("params", .text).notNull()
                table.column("metrics", .text).notNull()
                table.column("tags", .text).notNull()
            }
            try db.create(table: "tracking_model_versions") { table in
                table.column("name", .text).notNull()
                table.column("version", .integer).notNull()
                table.column("run_id", .text).notNull()
                table.column("source", .text).notNull()
                table.column("created_at", .datetime).notNull()
                table.primaryKey(["name", "version"])
            }
            try db.create(table: "tracking_aliases") { table in
                table.column("name", .text).notNull()
                table.column("alias", .text).notNull()
                table.column("version", .integer).notNull()
                table.primaryKey(["name", "alias"])
            }
        }
    }

    func experimentID(named name: String) async throws -> String {
        try await database.pool.write { db in
            if let id = try Int64.fetchOne(db, sql: "SELECT experiment_id FROM tracking_experiments WHERE name = ?", arguments: [name]) {
                return String(id)
            }
            try db.execute(sql: "INSERT INTO tracking_experiments (name, created_at) VALUES (?, ?)", arguments: [name, Date()])
            return String(db.lastInsertedRowID)
        }
    }

    func findExperiment(named name: String) async throws -> String? {
        try await database.pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT experiment_id FROM tracking_experiments WHERE name = ?", arguments: [name]).map(String.init)
        }
    }

    func startRun(experimentID: String, name: String, tags: [String: String]) async throws -> String {
        let runID = UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await database.pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO tracking_runs (run_id, experiment_id, name, status, start_time, params, metrics, tags)
                    VALUES (?, ?, ?, ?, ?, '{}', '{}', ?)
                    """,
                arguments: [runID, Int64(experimentID), name, RunStatus.running.rawValue, Date(), try RunFields.json(tags)]
            )
        }
        return runID
    }

    func log(runID: String, params: [String: String], metrics: [String: Double], tags: [String: String]) async throws {
        try await database.pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT params, metrics, tags FROM tracking_runs WHERE run_id = ?", arguments: [runID]) else {
                throw TrackingError("no run '\(runID)'")
            }
            var fields = try RunFields(params: row["params"], metrics: row["metrics"], tags: row["tags"])
            try fields.log(params: params, metrics: metrics, tags: tags)
            try db.execute(
                sql: "UPDATE tracking_runs SET params = ?, metrics = ?, tags = ? WHERE run_id = ?",
                arguments: [try RunFields.json(fields.params), try RunFields.json(fields.metrics), try RunFields.json(fields.tags), runID]
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
        try await database.pool.write { db in
            try db.execute(sql: "UPDATE tracking_runs SET status = ?, end_time = ? WHERE run_id = ?", arguments: [status.rawValue, Date(), runID])
        }
    }

    func run(id runID: String) async throws -> TrackedRun? {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM tracking_runs WHERE run_id = ?", arguments: [runID]).map(Self.run(from:))
        }
    }

    func searchRuns(_ search: RunSearch) async throws -> [TrackedRun] {
        let metricPath = "$.\"\(search.metric.replacingOccurrences(of: "\"", with: ""))\""
        var sql = """
            SELECT * FROM tracking_runs
            WHERE status = 'FINISHED' AND json_extract(metrics, ?) IS NOT NULL
            """
        var arguments: StatementArguments = [metricPath]
        if !search.experimentIDs.isEmpty {
            sql += " AND experiment_id IN (\(search.experimentIDs.map { _ in "?" }.joined(separator: ", ")))"
            arguments += StatementArguments(search.experimentIDs.compactMap { Int64($0) })
        }
        if let modelType = search.modelType {
            sql += " AND json_extract(tags, '$.model_type') = ?"
            arguments += [modelType]
        }
        sql += " ORDER BY json_extract(metrics, ?) \(search.higherIsBetter ? "DESC" : "ASC"), start_time DESC LIMIT ?"
        arguments += [metricPath, search.limit]
        let (query, values) = (sql, arguments)
        return try await database.pool.read { db in
            try Row.fetchAll(db, sql: query, arguments: values).map(Self.run(from:))
        }
    }

    func registerModelVersion(modelName: String, runID: String, artifactPath: String) async throws -> String {
        try await database.pool.write { db in
            let next = (try Int.fetchOne(db, sql: "SELECT MAX(version) FROM tracking_model_versions WHERE name = ?", arguments: [modelName]) ?? 0) + 1
            try db.execute(
                sql: "INSERT INTO tracking_model_versions (name, version, run_id, source, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [modelName, next, runID, "runs:/\(runID)/\(artifactPath)", Date()]
            )
            return String(next)
        }
    }

    func setAlias(modelName: String, alias: String, version: String) async throws {
        try await database.pool.write { db in
            try db.execute(
                sql: "INSERT INTO tracking_aliases (name, alias, version) VALUES (?, ?, ?) ON CONFLICT(name, alias) DO UPDATE SET version = excluded.version",
                arguments: [modelName, alias, Int(version)]
            )
        }
    }

    /// Artifacts of a run live under its experiment.
    private func artifactURL(runID: String, path: String) async throws -> URL {
        let experiment = try await database.pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT experiment_id FROM tracking_runs WHERE run_id = ?", arguments: [runID])
        }
        guard let experiment else { throw TrackingError("no run '\(runID)'") }
        return try artifacts.url(experimentID: String(experiment), runID: runID, path: path)
    }

    private static func run(from row: Row) throws -> TrackedRun {
        let fields = try RunFields(params: row["params"], metrics: row["metrics"], tags: row["tags"])
        return TrackedRun(
            runID: row["run_id"],
            experimentID: String(row["experiment_id"] as Int64),
            name: row["name"],
            status: RunStatus(rawValue: row["status"]) ?? .failed,
            startTime: row["start_time"],
            endTime: row["end_time"],
            params: fields.params,
            metrics: fields.metrics,
            tags: fields.tags
        )
    }
}
