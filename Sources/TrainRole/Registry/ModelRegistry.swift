import Foundation
import GRDB
import Hummingbird
import Kernel

/// One trained model version as the train role keeps it, whichever tracker is in use: the bundle
/// always stays on local disk, so serving never depends on the tracking server being up.
public struct ModelVersion: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "model_versions"

    /// Registered model name: `<experiment>-<model_type>`.
    public var name: String
    /// The tracker's version number for this name (`1`, `2`, …).
    public var version: String
    public var modelType: String
    public var runID: String
    public var experimentName: String
    public var metrics: [String: Double]
    /// Relative to `MLOPSD_MODELS_DIR`.
    public var bundlePath: String
    /// MD5 of the raw dataset at the root of the training data's lineage.
    public var dataVersion: String
    public var jobID: String
    public var createdAt: Date

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case name, version
        case modelType = "model_type"
        case runID = "run_id"
        case experimentName = "experiment_name"
        case metrics
        case bundlePath = "bundle_path"
        case dataVersion = "data_version"
        case jobID = "job_id"
        case createdAt = "created_at"
    }

    public init(row: Row) throws {
        name = row["name"]
        version = row["version"]
        modelType = row["model_type"]
        runID = row["run_id"]
        experimentName = row["experiment_name"]
        metrics = try JSONDecoder().decode([String: Double].self, from: Data((row["metrics"] as String).utf8))
        bundlePath = row["bundle_path"]
        dataVersion = row["data_version"]
        jobID = row["job_id"]
        createdAt = row["created_at"]
    }

    public init(
        name: String, version: String, modelType: String, runID: String, experimentName: String, metrics: [String: Double],
        bundlePath: String, dataVersion: String, jobID: String, createdAt: Date = Date()
    ) {
        self.name = name
        self.version = version
        self.modelType = modelType
        self.runID = runID
        self.experimentName = experimentName
        self.metrics = metrics
        self.bundlePath = bundlePath
        self.dataVersion = dataVersion
        self.jobID = jobID
        self.createdAt = createdAt
    }

    public func encode(to container: inout PersistenceContainer) throws {
        container["name"] = name
        container["version"] = version
        container["model_type"] = modelType
        container["run_id"] = runID
        container["experiment_name"] = experimentName
        container["metrics"] = String(decoding: try JSONEncoder().encode(metrics), as: UTF8.self)
        container["bundle_path"] = bundlePath
        container["data_version"] = dataVersion
        container["job_id"] = jobID
        container["created_at"] = createdAt
    }
}

/// The train role's record of model versions (for `GET /models`, `GET /metrics/{model_type}`).
protocol ModelRegistry: Sendable {
    func add(_ version: ModelVersion) async throws
    func versions() async throws -> [ModelVersion]
    func version(runID: String) async throws -> ModelVersion?
    func latest(modelType: String) async throws -> ModelVersion?
}

struct SQLiteModelRegistry: ModelRegistry {
    let database: AppDatabase

    static func registerMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("model-registry-v1") { db in
            try db.create(table: "model_versions") { table in
                table.autoIncrementedPrimaryKey("seq")
                table.column("name", .text).notNull()
                table.column("version", .text).notNull()
                table.column("model_type", .text).notNull()
                table.column("run_id", .text).notNull().unique()
                table.column("experiment_name", .text).notNull()
                table.column("metrics", .text).notNull()
                table.column("bundle_path", .text).notNull()
                table.column("data_version", .text).notNull()
                table.column("job_id", .text).notNull()
                table.column("created_at", .datetime).notNull()
                table.uniqueKey(["name", "version"])
            }
        }
    }

    func add(_ version: ModelVersion) async throws {
        try await database.pool.write { db in try version.insert(db) }
    }

    func versions() async throws -> [ModelVersion] {
        try await database.pool.read { db in try ModelVersion.order(Column("seq")).fetchAll(db) }
    }

    func version(runID: String) async throws -> ModelVersion? {
        try await database.pool.read { db in try ModelVersion.filter(ModelVersion.CodingKeys.runID == runID).fetchOne(db) }
    }

    func latest(modelType: String) async throws -> ModelVersion? {
        try await database.pool.read { db in
            try ModelVersion.filter(ModelVersion.CodingKeys.modelType == modelType).order(Column("seq").desc).fetchOne(db)
        }
    }
}
