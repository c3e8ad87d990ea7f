import Foundation
import HTTPTypes
import Hummingbird
import Kernel
import MLCore
import OpenAPIRuntime

/// The `/api/v1/train` operations (admin only): the generated `APIProtocol`. Job status, listing
/// and cancel come with the kernel's `JobRoutes`.
struct TrainAPI: APIProtocol {
    let runner: JobRunner
    let registry: any ModelRegistry
    let configurations: any TrainingConfigurationStore
    let promotion: Promotion
    let servingPlan: ServingPlanEditor
    let tracker: any ExperimentTracker
    let champions: any ChampionStore
    let dataDirectory: URL
    let tokens: TokenCodec
    let document: OpenAPIDocument

    func install(on routes: RouterGroup<AppRequestContext>) {
        let admin = routes.group().add(middleware: AuthGuard.admin(tokens))
        do {
            try registerHandlers(
                on: OperationRouter(document: document, prefix: ServiceRole.train.apiPrefix, open: admin), configuration: OperationRouter.configuration)
        } catch {
            // The spec's train paths are all under the prefix; a test registers them on every run.
            preconditionFailure("train operations could not be registered: \(error)")
        }
    }

    func train(_ input: Operations.Train.Input) async throws -> Operations.Train.Output {
        guard case .json(let json) = input.body else { throw APIError.badRequest("A JSON body is expected") }
        let user = try OperationScope.active.requireUser()
        let submission = try JSONValue(encoding: json).decode(TrainSubmission.self)
        let configuration = try await configurations.current()
        // The job keeps the completed request as its parameters, in the form it reads them back.
        let dataDirectory = dataDirectory
        var request = try await submission.resolved(with: configuration) { try await Offload.run { TrainingData.latest(in: dataDirectory) } }
        let problems = request.problems()
        guard problems.isEmpty else { throw APIError.validation(problems) }
        // The data version must exist, and the metric must be one its task reports.
        let (_, manifest) = try TrainingData.locate(request, dataDirectory: dataDirectory)
        if let task = TaskKind(rawValue: manifest.task) {
            if request.metric == nil { request.metric = configuration.configuration.metric.name(for: task) }
            _ = try request.metric(for: task)
        }
        let job = try await runner.submit(type: TrainJob.type, params: try JSONValue(encoding: request), createdBy: user.username)
        let statusURL = JobAccepted.statusURL(of: job, prefix: ServiceRole.train.apiPrefix)
        return .accepted(
            .init(
                headers: .init(location: statusURL, retryAfter: JobAccepted.retryAfterSeconds),
                body: .json(.init(jobId: job.jobID, jobType: job.jobType, status: job.status.rawValue, statusUrl: statusURL))
            ))
    }

    func getTrainingConfiguration(_ input: Operations.GetTrainingConfiguration.Input) async throws -> Operations.GetTrainingConfiguration.Output {
        let stored: StoredTrainingConfiguration
        if let version = input.query.version {
            guard let found = try await configurations.version(version) else {
                throw APIError.notFound("No training configuration version \(version)")
            }
            stored = found
        } else {
            stored = try await configurations.current()
        }
        return .ok(.init(body: .json(try JSONValue(encoding: stored).decode(Components.Schemas.TrainingConfiguration.self))))
    }

    func putTrainingConfiguration(_ input: Operations.PutTrainingConfiguration.Input) async throws -> Operations.PutTrainingConfiguration.Output {
        guard case .json(let json) = input.body else { throw APIError.badRequest("A JSON body is expected") }
        let scope = try OperationScope.active
        let configuration = try JSONValue(encoding: json).decode(TrainingConfiguration.self)
        let problems = configuration.problems()
        guard problems.isEmpty else { throw APIError.validation(problems) }
        let stored = try await configurations.save(configuration, by: try scope.requireUser().username)
        scope.context.logger.notice("training configuration changed", metadata: ["version": "\(stored.version)"])
        return .ok(.init(body: .json(try JSONValue(encoding: stored).decode(Components.Schemas.TrainingConfiguration.self))))
    }

    func fetchBestModel(_ input: Operations.FetchBestModel.Input) async throws -> Operations.FetchBestModel.Output {
        guard case .json(let body) = input.body else { throw APIError.badRequest("A JSON body is expected") }
        let scope = try OperationScope.active
        // Without gates of its own, a promotion applies the configuration's.
        var gates = body.minMetrics?.additionalProperties
        if gates == nil { gates = try await configurations.current().configuration.minMetrics }
        let request = PromotionRequest(metric: body.metric, modelType: body.modelType, experimentName: body.experimentName, minMetrics: gates ?? [:])
        let outcome = try await promotion.promote(request, by: try scope.requireUser().username)
        scope.context.logger.notice(
            "champion promoted",
            metadata: [
                "model_name": "\(outcome.champion.modelName)", "version": "\(outcome.champion.version)", "run_id": "\(outcome.champion.runID)",
            ])
        return .ok(.init(body: .json(try JSONValue(encoding: outcome).decode(Components.Schemas.PromotionOutcome.self))))
    }

    func listModels(_ input: Operations.ListModels.Input) async throws -> Operations.ListModels.Output {
        let champion = try await champions.current()
        typealias Model = Components.Schemas.ModelList.ModelsPayloadPayload
        var order: [String] = []
        var byName: [String: Model] = [:]
        for version in try await registry.versions() {
            if byName[version.name] == nil {
                order.append(version.name)
                byName[version.name] = Model(modelType: version.modelType, name: version.name, versions: [])
            }
            let entry = Model.VersionsPayloadPayload(
                value1: try JSONValue(encoding: version).decode(Components.Schemas.ModelVersion.self),
                value2: .init(champion: champion?.runID == version.runID))
            byName[version.name]?.versions?.append(entry)
        }
        return .ok(
            .init(
                body: .json(
                    .init(
                        champion: try champion.map { try JSONValue(encoding: $0).decode(Components.Schemas.Champion.self) },
                        models: order.compactMap { byName[$0] }, tracker: tracker.kind))))
    }

    func latestMetrics(_ input: Operations.LatestMetrics.Input) async throws -> Operations.LatestMetrics.Output {
        let modelType = input.path.modelType
        guard let version = try await registry.latest(modelType: modelType) else {
            throw APIError.notFound("No model of type '\(modelType)' has been trained yet; POST /api/v1/train first")
        }
        return .ok(.init(body: .json(try JSONValue(encoding: version).decode(Components.Schemas.ModelVersion.self))))
    }

    func getServingPlan(_ input: Operations.GetServingPlan.Input) async throws -> Operations.GetServingPlan.Output {
        .ok(.init(body: .json(try Self.plan(await servingPlan.view()))))
    }

    func pinModel(_ input: Operations.PinModel.Input) async throws -> Operations.PinModel.Output {
        let scope = try OperationScope.active
        var version: String?
        if case .json(let body)? = input.body { version = body.version }
        let view = try await servingPlan.pin(name: input.path.name, version: version, by: try scope.requireUser().username)
        scope.context.logger.notice("model pinned", metadata: ["model_name": "\(input.path.name)", "version": "\(view.pinned.last?.version ?? "")"])
        return .ok(.init(body: .json(try Self.plan(view))))
    }

    func unpinModel(_ input: Operations.UnpinModel.Input) async throws -> Operations.UnpinModel.Output {
        let scope = try OperationScope.active
        let view = try await servingPlan.unpin(name: input.path.name, version: input.query.version, by: try scope.requireUser().username)
        scope.context.logger.notice("model unpinned", metadata: ["model_name": "\(input.path.name)"])
        return .ok(.init(body: .json(try Self.plan(view))))
    }

    func setChallenger(_ input: Operations.SetChallenger.Input) async throws -> Operations.SetChallenger.Output {
        guard case .json(let body) = input.body else { throw APIError.badRequest("A JSON body is expected") }
        let scope = try OperationScope.active
        let mode = Challenger.Mode(rawValue: body.mode?.rawValue ?? Challenger.Mode.canary.rawValue) ?? .canary
        guard mode == .shadow || body.share != nil else { throw APIError.validation(field: "share", problem: "field required for a canary") }
        let view = try await servingPlan.setChallenger(
            name: body.challenger, version: body.version, share: body.share ?? 0, mode: mode, by: try scope.requireUser().username)
        scope.context.logger.notice(
            "challenger set",
            metadata: ["model_name": "\(body.challenger)", "mode": "\(mode.rawValue)", "share": "\(view.challenger?.share ?? 0)"])
        return .ok(.init(body: .json(try Self.plan(view))))
    }

    func clearChallenger(_ input: Operations.ClearChallenger.Input) async throws -> Operations.ClearChallenger.Output {
        let scope = try OperationScope.active
        let view = try await servingPlan.clearChallenger(by: try scope.requireUser().username)
        scope.context.logger.notice("challenger cleared")
        return .ok(.init(body: .json(try Self.plan(view))))
    }

    func promoteChallenger(_ input: Operations.PromoteChallenger.Input) async throws -> Operations.PromoteChallenger.Output {
        let scope = try OperationScope.active
        let outcome = try await servingPlan.promoteChallenger(by: try scope.requireUser().username)
        scope.context.logger.notice(
            "challenger promoted", metadata: ["model_name": "\(outcome.champion.modelName)", "version": "\(outcome.champion.version)"])
        return .ok(.init(body: .json(try JSONValue(encoding: outcome).decode(Components.Schemas.PromotionOutcome.self))))
    }

    private static func plan(_ view: ServingPlanEditor.View) throws -> Components.Schemas.ServingPlan {
        try JSONValue(encoding: view).decode(Components.Schemas.ServingPlan.self)
    }
}
