import Foundation
import Hummingbird
import Kernel

/// The predict role: serves the champion model to any signed-in user, single records and
/// batches, and follows the champion (`champion.json`, or the shared database) so a promotion
/// takes effect without a restart.
public enum PredictRole {
    public static func module(environment: KernelEnvironment) async throws -> RoleModule {
        let settings = try PredictSettings(environment.settings.reader)
        let slot = ModelSlot()
        let loader = ChampionLoader(
            slot: slot, store: try await environment.championStore(), interval: settings.reloadInterval,
            registry: environment.metrics, logger: environment.logger
        )
        environment.championChanges.follow { await loader.reloadIfChanged() }
        let routes = PredictRoutes(
            slot: slot, loader: loader, maxBatch: settings.maxBatch, maxBatchBytes: settings.maxBatchBytes,
            policy: RecordPolicy(rejectUnknownCategories: settings.rejectUnknownCategories, rejectExtraFields: settings.rejectExtraFields),
            tokens: environment.tokens
        )
        return RoleModule(
            role: .predict,
            services: [loader],
            openAPIDocument: try OpenAPIDocument(json: PredictAPIDocument.json),
            readinessChecks: [
                {
                    slot.model == nil ? FieldProblem(field: "model", problem: await loader.lastError ?? "no champion loaded yet") : nil
                }
            ],
            installRoutes: routes.install(on:)
        )
    }
}
