import Foundation
import Hummingbird
import Kernel
import MLCore

/// The `/api/v1/train` endpoints (admin only). Job status, listing and cancel come with the
/// kernel's `JobRoutes`.
struct TrainRoutes: Sendable {
    let runner: JobRunner
    let registry: any ModelRegistry
    let promotion: Promotion
    let tracker: any ExperimentTracker
    let champions: any ChampionStore
    let dataDirectory: URL
    let tokens: TokenCodec

    func install(on routes: RouterGroup<AppRequestContext>) {
        let admin = routes.group().add(middleware: AuthGuard.admin(tokens))
        admin.post(use: train)
        admin.post("fetch-best-model", use: fetchBestModel)
        admin.get("models", use: models)
        admin.get("metrics/{model_type}", use: latestMetrics)
    }

    @Sendable func train(request: Request, context: AppRequestContext) async throws -> JobAccepted {
        let user = try context.requireUser()
        let body = try await request.decodeJSON(TrainRequest.self, context: context)
        let problems = body.problems()
        guard problems.isEmpty else { throw APIError.validation(problems) }
        // The data version must exist, and the metric must be one its task reports.
        let (_, manifest) = try TrainingData.locate(body, dataDirectory: dataDirectory)
        if let task = TaskKind(rawValue: manifest.task) { _ = try body.metric(for: task) }
        let job = try await runner.submit(type: TrainJob.type, params: try JSONValue(encoding: body), createdBy: user.username)
        return JobAccepted(job: job, statusPrefix: ServiceRole.train.apiPrefix)
    }

    @Sendable func fetchBestModel(request: Request, context: AppRequestContext) async throws -> Promotion.Outcome {
        let user = try context.requireUser()
        let body = try await request.decodeJSON(PromotionRequest.self, context: context)
        let outcome = try await promotion.promote(body, by: user.username)
        context.logger.notice(
            "champion promoted",
            metadata: [
                "model_name": "\(outcome.champion.modelName)", "version": "\(outcome.champion.version)", "run_id": "\(outcome.champion.runID)",
            ])
        return outcome
    }

    struct ModelsResponse: Encodable, ResponseEncodable {
        struct RegisteredModel: Encodable {
            var name: String
            var modelType: String
            var versions: [VersionEntry]

            enum CodingKeys: String, CodingKey {
                case name
                case modelType = "model_type"
                case versions
            }
        }

        struct VersionEntry: Encodable {
            var version: ModelVersion
            var champion: Bool

            func encode(to encoder: any Encoder) throws {
                try version.encode(to: encoder)
                var container = encoder.container(keyedBy: CodingKeys.self)
                try container.encode(champion, forKey: .champion)
            }

            enum CodingKeys: String, CodingKey { case champion }
        }

        var tracker: String
        var champion: ChampionPointer?
        var models: [RegisteredModel]
    }

    @Sendable func models(request: Request, context: AppRequestContext) async throws -> ModelsResponse {
        let champion = try await champions.current()
        let versions = try await registry.versions()
        var order: [String] = []
        var byName: [String: ModelsResponse.RegisteredModel] = [:]
        for version in versions {
            if byName[version.name] == nil {
                order.append(version.name)
                byName[version.name] = .init(name: version.name, modelType: version.modelType, versions: [])
            }
            byName[version.name]?.versions.append(.init(version: version, champion: champion?.runID == version.runID))
        }
        return ModelsResponse(tracker: tracker.kind, champion: champion, models: order.compactMap { byName[$0] })
    }

    @Sendable func latestMetrics(request: Request, context: AppRequestContext) async throws -> ModelVersion {
        let modelType = try context.parameters.require("model_type")
        guard let version = try await registry.latest(modelType: modelType) else {
            throw APIError.notFound("No model of type '\(modelType)' has been trained yet; POST /api/v1/train first")
        }
        return version
    }
}

extension ModelVersion: ResponseEncodable {}
