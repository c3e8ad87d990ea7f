import Foundation
import Kernel
import Logging
import ServiceLifecycle

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

/// Deletes feedback past its retention, hourly: the live metrics read only the newest rows, so
/// the table's size is what retention allows.
struct FeedbackPruner: Service {
    let store: any FeedbackStore
    let retention: Duration
    let logger: Logger

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    do {
                        let removed = try await store.prune(receivedBefore: Date().addingTimeInterval(-Double(retention.components.seconds)))
                        if removed > 0 { logger.info("old feedback deleted", metadata: ["rows": "\(removed)"]) }
                    } catch {
                        logger.warning("feedback not pruned; trying again in an hour", metadata: ["error": "\(error)"])
                    }
                    try await Task.sleep(for: .seconds(3600))
                }
            }
        } catch is CancellationError {
            // Shutting down.
        }
    }
}
