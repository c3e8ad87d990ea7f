import Foundation
import Hummingbird
import Kernel

/// The data role: dataset uploads and profiles, preprocessing and feature jobs, and data
/// versions kept in DVC's format under `MLOPSD_DATA_DIR`.
public enum DataRole {
    /// Opens `data.sqlite`, prepares the data directory (dropping what an interrupted process
    /// left half-done) and returns the module with its job runner.
    public static func module(environment: KernelEnvironment) async throws -> RoleModule {
        let settings = environment.settings
        let logger = environment.logger
        let database = try AppDatabase.open(stateDirectory: settings.stateDirectory, name: "data") { migrator in
            SQLiteJobStore.registerMigrations(&migrator)
            SQLiteDataCatalog.registerMigrations(&migrator)
        }
        let catalog = SQLiteDataCatalog(database: database)
        let workspace = DataWorkspace(root: settings.dataDirectory)
        try workspace.prepare()
        for kind in DataVersionKind.allCases {
            let removed = try workspace.removeUnrecorded(kind: kind, recorded: try await catalog.versionIDs(kind: kind))
            if !removed.isEmpty {
                logger.warning("removed unrecorded data versions", metadata: ["kind": "\(kind.rawValue)", "items": "\(removed.sorted())"])
            }
        }

        let runner = try await JobRunner(
            store: SQLiteJobStore(database: database),
            kinds: [
                PreprocessJob(catalog: catalog, workspace: workspace).kind,
                BuildFeaturesJob(catalog: catalog, workspace: workspace).kind,
            ],
            historyLimit: settings.jobHistoryLimit,
            logger: logger
        )
        let routes = DataRoutes(
            registry: DatasetRegistry(catalog: catalog, workspace: workspace, uploadLimit: settings.maxUploadBytes, logger: logger),
            catalog: catalog,
            runner: runner,
            tokens: environment.tokens
        )
        return RoleModule(
            role: .data,
            summary: "Datasets and data versions: CSV upload and profiling, preprocessing and feature-building jobs, DVC-compatible versions.",
            databases: [database],
            jobRunner: runner,
            openAPIPaths: try DataOpenAPI.paths(),
            openAPIComponents: try DataOpenAPI.components(),
            installRoutes: routes.install(on:)
        )
    }
}
