import Foundation
import Hummingbird
import Kernel

/// The train role: training jobs over data versions, experiment tracking (embedded here; the
/// MLflow REST tracker when `MLFLOW_TRACKING_URI` is set), the model registry and promotion.
public enum TrainRole {
    public static func module(environment: KernelEnvironment) async throws -> RoleModule {
        let settings = environment.settings
        let own = try TrainSettings(settings.reader)
        let modelsDirectory = URL(fileURLWithPath: settings.modelsDirectory).standardizedFileURL
        let dataDirectory = URL(fileURLWithPath: settings.dataDirectory).standardizedFileURL
        try FileManager.default.createDirectory(at: modelsDirectory, withIntermediateDirectories: true)
        let stores = try await Stores.open(environment, artifactRoot: modelsDirectory.appendingPathComponent("tracking"))
        let tracker: any ExperimentTracker
        if let uri = own.mlflowTrackingURI {
            tracker = MLflowTracker(
                client: MLflowClient(
                    configuration: .init(
                        trackingURI: uri, username: own.mlflowUsername, password: own.mlflowPassword, token: own.mlflowToken,
                        timeout: own.mlflowRequestTimeout, maxRetries: own.mlflowMaxRetries,
                        backoff: .milliseconds(Int64(own.mlflowBackoffFactor * 1000))
                    )))
        } else {
            tracker = stores.embeddedTracker
        }
        let registry = stores.registry
        let champions = try await environment.championStore()
        let runner = try await JobRunner(
            store: stores.jobs,
            kinds: [
                TrainJob(
                    tracker: tracker, registry: registry, dataDirectory: dataDirectory, modelsDirectory: modelsDirectory,
                    maxDuration: own.maxDuration, logger: environment.logger
                ).kind
            ],
            historyLimit: settings.jobHistoryLimit,
            logger: environment.logger,
            sharing: stores.sharing,
            lease: settings.jobLease
        )
        let document = try OpenAPIDocument(json: TrainAPIDocument.json)
        let api = TrainAPI(
            runner: runner, registry: registry, configurations: stores.configurations,
            promotion: Promotion(tracker: tracker, registry: registry, champions: champions, championChanges: environment.championChanges),
            servingPlan: ServingPlanEditor(
                tracker: tracker, registry: registry, champions: champions, championChanges: environment.championChanges,
                maxPinned: own.maxPinnedModels),
            tracker: tracker, champions: champions, dataDirectory: dataDirectory, tokens: environment.tokens, document: document
        )
        return RoleModule(
            role: .train,
            databases: stores.databases,
            jobRunner: runner,
            openAPIDocument: document,
            readinessChecks: stores.readinessChecks,
            installRoutes: api.install(on:)
        )
    }
}

extension TrainRole {
    /// The train role's SQLite file and its PostgreSQL tables, for start-up and for
    /// `mlopsd db migrate-to-postgres`. Experiment ids are kept: runs refer to them.
    public static let stateLayout = RoleStateLayout(
        database: "train",
        sqliteMigrations: { migrator in
            SQLiteJobStore.registerMigrations(&migrator)
            EmbeddedTracker.registerMigrations(&migrator)
            SQLiteModelRegistry.registerMigrations(&migrator)
            SQLiteTrainingConfigurationStore.registerMigrations(&migrator)
        },
        postgresMigrations: PostgresJobStore.migrations + PostgresModelRegistry.migrations + PostgresTracker.migrations
            + PostgresTrainingConfigurationStore.migrations,
        tables: [
            TableCopy("tracking_experiments", keptSerial: (column: "experiment_id", naturalKey: "name")),
            TableCopy("tracking_runs"), TableCopy("tracking_model_versions"), TableCopy("tracking_aliases"),
            TableCopy("model_versions", renumbered: ["seq"]), TableCopy("training_configurations"),
            TableCopy("jobs", renumbered: ["seq"], fixed: ["role": ServiceRole.train.rawValue]),
        ]
    )

    /// Where the train role keeps jobs, the registry and the embedded tracker: its own SQLite
    /// file, or the database its replicas share.
    struct Stores {
        var jobs: any JobStore
        var registry: any ModelRegistry
        var embeddedTracker: any ExperimentTracker
        var configurations: any TrainingConfigurationStore
        var sharing: JobRunner.Sharing
        var databases: [AppDatabase]
        var readinessChecks: [RoleModule.ReadinessCheck]

        static func open(_ environment: KernelEnvironment, artifactRoot: URL) async throws -> Stores {
            let logger = environment.logger
            if let shared = environment.sharedDatabase {
                try await shared.migrate(stateLayout.postgresMigrations)
                return Stores(
                    jobs: PostgresJobStore(database: shared, role: ServiceRole.train.rawValue, logger: logger),
                    registry: PostgresModelRegistry(database: shared, logger: logger),
                    embeddedTracker: PostgresTracker(database: shared, artifactRoot: artifactRoot, logger: logger),
                    configurations: PostgresTrainingConfigurationStore(database: shared, logger: logger),
                    sharing: .shared, databases: [], readinessChecks: [shared.readinessCheck]
                )
            }
            let database = try AppDatabase.open(
                stateDirectory: environment.settings.stateDirectory, name: stateLayout.database, durability: stateLayout.durability,
                migrations: stateLayout.sqliteMigrations
            )
            return Stores(
                jobs: SQLiteJobStore(database: database), registry: SQLiteModelRegistry(database: database),
                embeddedTracker: EmbeddedTracker(database: database, artifactRoot: artifactRoot),
                configurations: SQLiteTrainingConfigurationStore(database: database),
                sharing: .exclusive, databases: [database], readinessChecks: []
            )
        }
    }
}
