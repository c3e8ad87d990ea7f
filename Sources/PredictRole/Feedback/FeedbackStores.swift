import Foundation
import Kernel

/// Where the predict role keeps feedback: the shared database, so every replica's live metrics
/// count all of it, or the role's own SQLite file (one replica, or replicas sharing its volume).
enum FeedbackStores {
    struct Opened {
        var store: any FeedbackStore
        var databases: [AppDatabase]
        var readinessChecks: [RoleModule.ReadinessCheck]
    }

    static func open(_ environment: KernelEnvironment) async throws -> Opened {
        if let shared = environment.sharedDatabase {
            try await shared.migrate(PredictRole.stateLayout.postgresMigrations)
            return Opened(
                store: PostgresFeedbackStore(database: shared, logger: environment.logger), databases: [],
                readinessChecks: [shared.readinessCheck])
        }
        let layout = PredictRole.stateLayout
        let database = try AppDatabase.open(
            stateDirectory: environment.settings.stateDirectory, name: layout.database, durability: layout.durability,
            migrations: layout.sqliteMigrations)
        return Opened(store: SQLiteFeedbackStore(database: database), databases: [database], readinessChecks: [])
    }
}
