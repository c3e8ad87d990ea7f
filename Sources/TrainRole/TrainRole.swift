import Foundation
import Hummingbird
import Kernel

/// The train role: training jobs over data versions, experiment tracking (embedded here; the
/// MLflow REST tracker when `MLFLOW_TRACKING_URI` is set), the model registry and promotion.
public enum TrainRole {
    public static func module(environment: KernelEnvironment) async throws -> RoleModule {
        let settings = environment.settings
        let database = try AppDatabase.open(stateDirectory: settings.stateDirectory, name: "train") { migrator in
            SQLiteJobStore.registerMigrations(&migrator)
            EmbeddedTracker.registerMigrations(&migrator)
            SQLiteModelRegistry.registerMigrations(&migrator)
        }
        let modelsDirectory = URL(fileURLWithPath: settings.modelsDirectory).standardizedFileURL
        let dataDirectory = URL(fileURLWithPath: settings.dataDirectory).standardizedFileURL
        try FileManager.default.createDirectory(at: modelsDirectory, withIntermediateDirectories: true)
        let tracker: any ExperimentTracker
        if let uri = settings.mlflowTrackingURI {
            tracker = MLflowTracker(client: MLflowClient(configuration: .init(
                trackingURI: uri, username: settings.mlflowUsername, password: settings.mlflowPassword, token: settings.mlflowToken,
                timeout: settings.mlflowRequestTimeout, maxRetries: settings.mlflowMaxRetries,
                backoff: .milliseconds(Int64(settings.mlflowBackoffFactor * 1000))
            )))
        } else {
            tracker = EmbeddedTracker(database: database, artifactRoot: modelsDirectory.appendingPathComponent("tracking"))
        }
        let registry = SQLiteModelRegistry(database: database)
        let runner = try await JobRunner(
            store: SQLiteJobStore(database: database),
            kinds: [
                TrainJob(tracker: tracker, registry: registry, dataDirectory: dataDirectory, modelsDirectory: modelsDirectory, logger: environment.logger).kind
            ],
            historyLimit: settings.jobHistoryLimit,
            logger: environment.logger
        )
        let routes = TrainRoutes(
            runner: runner, registry: registry,
            promotion: Promotion(
                tracker: tracker, registry: registry, modelsDirectory: modelsDirectory, championChanges: environment.championChanges
            ),
            tracker: tracker, dataDirectory: dataDirectory, modelsDirectory: modelsDirectory, tokens: environment.tokens
        )
        return RoleModule(
            role: .train,
            summary: "Training jobs over data versions, experiment tracking, the model registry and champion promotion.",
            databases: [database],
            jobRunner: runner,
            openAPIPaths: try TrainOpenAPI.paths(),
            openAPIComponents: try TrainOpenAPI.components(),
            installRoutes: routes.install(on:)
        )
    }
}
