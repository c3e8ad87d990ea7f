import Foundation
import GRDB
import Kernel

/// The tracker used without `MLFLOW_TRACKING_URI`: experiments, runs and registered model
/// versions in the train role's SQLite database, artifacts under
/// `MLOPSD_MODELS_DIR/tracking/<experiment>/<run>/artifacts/`, searched the way MLflow searches.
struct EmbeddedTracker: ExperimentTracker {
    let database: AppDatabase
    let artifactRoot: URL

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
                arguments: [runID, Int64(experimentID), name, RunStatus.running.rawValue, Date(), try Self.json(tags)]
            )
        }
        return runID
    }

    func log(runID: String, params: [String: String], metrics: [String: Double], tags: [String: String]) async throws {
        try await database.pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT params, metrics, tags FROM tracking_runs WHERE run_id = ?", arguments: [runID]) else {
                throw TrackingError("no run '\(runID)'")
            }
            var storedParams = try Self.decode([String: String].self, row["params"])
            // As in MLflow: a logged parameter never changes.
            for (key, value) in params {
                if let old = storedParams[key], old != value { throw TrackingError("parameter '\(key)' was already logged as '\(old)'") }
                storedParams[key] = value
            }
            let storedMetrics = try Self.decode([String: Double].self, row["metrics"]).merging(metrics) { _, new in new }
            let storedTags = try Self.decode([String: String].self, row["tags"]).merging(tags) { _, new in new }
            try db.execute(
                sql: "UPDATE tracking_runs SET params = ?, metrics = ?, tags = ? WHERE run_id = ?",
                arguments: [try Self.json(storedParams), try Self.json(storedMetrics), try Self.json(storedTags), runID]
            )
        }
    }

    func uploadArtifact(runID: String, path: String, data: Data) async throws {
        let url = try await artifactURL(runID: runID, path: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: url, options: .atomic)
    }

    func downloadArtifact(runID: String, path: String) async throws -> Data {
        let url = try await artifactURL(runID: runID, path: path)
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw TrackingError("run '\(runID)' has no artifact '\(path)'")
        }
        return data
    }

    func finishRun(runID: String, status: RunStatus) async throws {
        try await database.pool.write { db in
            try db.execute(sql: "UPDATE tracking_runs SET status = ?, end_time = ? WHERE run_id = ?", arguments: [status.rawValue, Date(), runID])
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

    /// Artifacts of a run live under its experiment; paths are ours, but are checked all the same.
    private func artifactURL(runID: String, path: String) async throws -> URL {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
            throw TrackingError("invalid artifact path '\(path)'")
        }
        let experiment = try await database.pool.read { db in
            try Int64.fetchOne(db, sql: "SELECT experiment_id FROM tracking_runs WHERE run_id = ?", arguments: [runID])
        }
        guard let experiment else { throw TrackingError("no run '\(runID)'") }
        return artifactRoot.appendingPathComponent("\(experiment)/\(runID)/artifacts/\(path)")
    }

    private static func run(from row: Row) throws -> TrackedRun {
        TrackedRun(
            runID: row["run_id"],
            experimentID: String(row["experiment_id"] as Int64),
            name: row["name"],
            status: RunStatus(rawValue: row["status"]) ?? .failed,
            startTime: row["start_time"],
            endTime: row["end_time"],
            params: try decode([String: String].self, row["params"]),
            metrics: try decode([String: Double].self, row["metrics"]),
            tags: try decode([String: String].self, row["tags"])
        )
    }

    private static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}
