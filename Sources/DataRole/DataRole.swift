import Foundation
import Hummingbird
import Kernel
import ServiceLifecycle

/// The data role: dataset uploads and profiles, preprocessing and feature jobs, and data
/// versions kept in DVC's format under `MLOPSD_DATA_DIR`.
public enum DataRole {
    /// Opens its stores (`data.sqlite`, or the shared PostgreSQL database), prepares the data
    /// directory and returns the module with its job runner.
    public static func module(environment: KernelEnvironment) async throws -> RoleModule {
        let settings = environment.settings
        let own = try DataSettings(settings.reader)
        let logger = environment.logger
        let workspace = DataWorkspace(root: settings.dataDirectory)
        let stores = try await Stores.open(environment)
        var services: [any Service] = []
        if stores.sharing == .exclusive {
            // Alone on the data directory, and sure of it: what an interrupted process left
            // half-done is set aside. With replicas sharing it, another one may be publishing that
            // very directory right now.
            let lock = try DataDirectoryLock(root: workspace.root)
            services.append(lock)
            try workspace.prepare()
            for kind in DataVersionKind.allCases {
                let moved = try workspace.quarantineUnrecorded(kind: kind, recorded: try await stores.catalog.versionIDs(kind: kind))
                if !moved.isEmpty {
                    logger.warning(
                        "unrecorded data versions moved to quarantine",
                        metadata: [
                            "kind": "\(kind.rawValue)", "items": "\(moved.sorted())", "quarantine": "\(workspace.quarantineDirectory.path)",
                        ])
                }
            }
        } else if let shared = environment.sharedDatabase {
            try workspace.prepareShared()
            let removed = try await shared.withAdvisoryLock(.stagingSweep) { _ in
                try workspace.sweepStaging(olderThan: DataWorkspace.abandonedStagingAge)
            }
            if !removed.isEmpty {
                logger.warning("removed abandoned staging items", metadata: ["items": "\(removed.sorted())"])
            }
        }

        let catalog = stores.catalog
        let runner = try await JobRunner(
            store: stores.jobs,
            kinds: [
                PreprocessJob(catalog: catalog, workspace: workspace).kind,
                BuildFeaturesJob(catalog: catalog, workspace: workspace).kind,
            ],
            historyLimit: settings.jobHistoryLimit,
            logger: logger,
            sharing: stores.sharing,
            lease: settings.jobLease
        )
        let document = try OpenAPIDocument(json: DataAPIDocument.json)
        let api = DataAPI(
            registry: DatasetRegistry(
                catalog: catalog, workspace: workspace, uploadLimit: own.maxUploadBytes, fieldLimit: own.maxUploadFields,
                parses: AdmissionGate(running: 2, waiting: 8), logger: logger
            ),
            catalog: catalog,
            runner: runner,
            defaults: own.defaults,
            tokens: environment.tokens,
            document: document
        )
        return RoleModule(
            role: .data,
            databases: stores.databases,
            jobRunner: runner,
            services: services,
            openAPIDocument: document,
            readinessChecks: stores.readinessChecks,
            installRoutes: api.install(on:)
        )
    }
}

extension DataRole {
    /// The data role's SQLite file and its PostgreSQL tables, for start-up and for
    /// `mlopsd db migrate-to-postgres`.
    public static let stateLayout = RoleStateLayout(
        database: "data", durability: .full,
        sqliteMigrations: { migrator in
            SQLiteJobStore.registerMigrations(&migrator)
            SQLiteDataCatalog.registerMigrations(&migrator)
        },
        postgresMigrations: PostgresJobStore.migrations + PostgresDataCatalog.migrations,
        tables: [
            TableCopy("datasets"), TableCopy("data_versions"),
            TableCopy("jobs", renumbered: ["seq"], fixed: ["role": ServiceRole.data.rawValue]),
        ]
    )

    /// Where the data role keeps its catalog and jobs: its own SQLite file, or the database its
    /// replicas share.
    struct Stores {
        var catalog: any DataCatalog
        var jobs: any JobStore
        var sharing: JobRunner.Sharing
        var databases: [AppDatabase]
        var readinessChecks: [RoleModule.ReadinessCheck]

        static func open(_ environment: KernelEnvironment) async throws -> Stores {
            if let shared = environment.sharedDatabase {
                try await shared.migrate(stateLayout.postgresMigrations)
                return Stores(
                    catalog: PostgresDataCatalog(database: shared, logger: environment.logger),
                    jobs: PostgresJobStore(database: shared, role: ServiceRole.data.rawValue, logger: environment.logger),
                    sharing: .shared, databases: [], readinessChecks: [shared.readinessCheck]
                )
            }
            let database = try AppDatabase.open(
                stateDirectory: environment.settings.stateDirectory, name: stateLayout.database, durability: stateLayout.durability,
                migrations: stateLayout.sqliteMigrations
            )
            return Stores(
                catalog: SQLiteDataCatalog(database: database), jobs: SQLiteJobStore(database: database),
                sharing: .exclusive, databases: [database], readinessChecks: []
            )
        }
    }
}
