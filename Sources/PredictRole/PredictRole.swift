import Foundation
import Hummingbird
import Kernel

/// The predict role: serves the champion, pinned versions and a challenger to any signed-in user,
/// single records and batches; follows the champion and the serving plan (files on the models
/// volume, or the shared database) so a change takes effect without a restart; and watches what
/// it serves: drift against each model's training profile, and live metrics from feedback.
public enum PredictRole {
    public static func module(environment: KernelEnvironment) async throws -> RoleModule {
        let settings = try PredictSettings(environment.settings.reader)
        let slot = ModelSlot()
        let known = KnownModels()
        let loader = ChampionLoader(
            slot: slot, store: try await environment.championStore(), interval: settings.reloadInterval,
            registry: environment.metrics, drift: settings.drift, known: known, logger: environment.logger
        )
        environment.championChanges.follow { await loader.reloadIfChanged() }
        let predictionIDs = PredictionIDs(secret: environment.settings.jwtSecret)
        let shadow = ShadowRunner(capacity: settings.shadowQueue, registry: environment.metrics)
        let feedback = try await FeedbackStores.open(environment)
        let routes = PredictRoutes(
            slot: slot, loader: loader, maxBatch: settings.maxBatch, maxBatchBytes: settings.maxBatchBytes,
            policy: RecordPolicy(rejectUnknownCategories: settings.rejectUnknownCategories, rejectExtraFields: settings.rejectExtraFields),
            tokens: environment.tokens, predictionIDs: predictionIDs, shadow: shadow
        )
        let traffic = TrafficHistory { slot.served.all }
        let monitoring = MonitoringRoutes(
            slot: slot, intake: FeedbackIntake(predictionIDs: predictionIDs, known: known, maximumAge: settings.feedbackRetention),
            performance: LivePerformance(store: feedback.store, window: settings.feedbackWindow, registry: environment.metrics),
            driftWindow: settings.drift.window, traffic: traffic, tokens: environment.tokens
        )
        return RoleModule(
            role: .predict,
            databases: feedback.databases,
            services: [
                loader, shadow, traffic,
                FeedbackMaintenance(
                    store: feedback.store, retention: settings.feedbackRetention, logger: environment.logger,
                    refreshGauges: { _ = try? await monitoring.performance.report(for: slot.served.all) }),
            ],
            openAPIDocument: try OpenAPIDocument(json: PredictAPIDocument.json),
            readinessChecks: [
                {
                    slot.model == nil ? FieldProblem(field: "model", problem: await loader.lastError ?? "no champion loaded yet") : nil
                }
            ] + feedback.readinessChecks,
            installRoutes: { group in
                routes.install(on: group)
                monitoring.install(on: group)
            }
        )
    }
}

extension PredictRole {
    /// The predict role's SQLite file (feedback), for start-up and `mlopsd db migrate-to-postgres`.
    public static let stateLayout = RoleStateLayout(
        database: "predict",
        sqliteMigrations: { migrator in SQLiteFeedbackStore.registerMigrations(&migrator) },
        postgresMigrations: PostgresFeedbackStore.migrations,
        tables: [TableCopy("prediction_feedback")]
    )
}
