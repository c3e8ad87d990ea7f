import Foundation
import Hummingbird
import Kernel
import MLCore

/// The `/api/v1/predict` endpoints: predictions for any signed-in user, reload for admins.
struct PredictRoutes: Sendable {
    let slot: ModelSlot
    let loader: ChampionLoader
    let maxBatch: Int
    let maxBatchBytes: Int
    let policy: RecordPolicy
    let tokens: TokenCodec
    let predictionIDs: PredictionIDs
    let shadow: ShadowRunner

    func install(on routes: RouterGroup<AppRequestContext>) {
        let users = routes.group().add(middleware: AuthGuard.authenticated(tokens))
        users.post(use: predict)
        users.post("batch", use: batch)
        users.get("models", use: models)
        routes.group("reload").add(middleware: AuthGuard.admin(tokens)).post(use: reload)
    }

    /// The served model a request asks for (`ServedModels.choose`), or the error saying why none.
    private func model(_ address: ModelAddress, in served: ServedModels, requestID: String) throws -> LoadedModel {
        switch served.choose(name: address.name, version: address.version, alias: address.alias, requestID: requestID) {
        case .model(let model):
            return model
        case .noChampion:
            throw APIError(.serviceUnavailable, code: "no_model", message: "No model is loaded yet: promote one with POST /api/v1/train/fetch-best-model")
        case .noChallenger:
            throw APIError(
                .notFound, code: "not_found", message: "No challenger is set: PUT /api/v1/train/canary",
                details: [FieldProblem(field: "model_alias", problem: "no challenger")])
        case .unknownName(let name, let loaded):
            throw APIError(
                .notFound, code: "not_found", message: "Model '\(name)' is not served; served: \(loaded.map { "'\($0)'" }.joined(separator: ", "))",
                details: [FieldProblem(field: "model_name", problem: "not served")])
        case .unknownVersion(let version, let loaded):
            throw APIError(
                .notFound, code: "not_found", message: "Version \(version) is not served; served: \(loaded.joined(separator: ", "))",
                details: [FieldProblem(field: "model_version", problem: "not served")])
        }
    }

    @Sendable func predict(request: Request, context: AppRequestContext) async throws -> JSONResponse {
        let body = try PredictRequest(await request.jsonDocument(context: context))
        let served = slot.served
        let model = try model(body.model, in: served, requestID: context.requestID)
        let series = model.metrics
        let start = ContinuousClock.now
        var fields: [String: RawValue] = [:]
        let result = RecordDecoding.record(body.features).flatMap { record in
            fields = record
            let refused = policy.issues(in: record, for: model)
            return refused.isEmpty ? model.bundle.predict(records: [record])[0] : .failure(RecordIssues(issues: refused))
        }.mapError { issues in
            RecordIssues(issues: issues.issues.map { FieldIssue(field: "features.\($0.field)", problem: $0.problem) })
        }
        let elapsed = ContinuousClock.now - start
        series.latency.record(elapsed)
        series.traffic.record(elapsed, records: 1)
        switch result {
        case .success(let prediction):
            series.predictions.increment()
            model.drift?.record(fields, prediction: prediction)
            if model.arm == .champion, let challenger = served.shadow {
                shadow.submit(records: [fields], answers: [prediction], challenger: challenger)
            }
            return PredictionJSON.single(prediction, id: predictionIDs.issue(model: model, predicted: prediction.value), model: model)
        case .failure(let issues):
            series.invalidRecords.increment()
            throw APIError.validation(issues.issues.map { FieldProblem(field: $0.field, problem: $0.problem) })
        }
    }

    @Sendable func batch(request: Request, context: AppRequestContext) async throws -> JSONResponse {
        // A batch has a body limit of its own, sized for `maxBatch` records.
        var context = context
        context.bodyLimit = max(context.bodyLimit, maxBatchBytes)
        let contentType = request.headers[.contentType].flatMap(MediaType.init(from:))
        var records: [Result<[String: RawValue], RecordIssues>]
        let address: ModelAddress
        if let contentType, contentType.isType(.textCsv) {
            let buffer = try await request.body.collect(upTo: context.bodyLimit)
            records = try RecordDecoding.records(csv: buffer).map { .success($0) }
            let query = request.uri.queryParameters
            let alias = try query.get("model_alias").map { text in
                guard let arm = Arm(rawValue: text), arm != .pinned else {
                    throw APIError.validation(field: "model_alias", problem: "expected champion or challenger")
                }
                return arm
            }
            address = ModelAddress(name: query.get("model_name"), version: query.get("model_version"), alias: alias)
        } else {
            let body = try BatchRequest(await request.jsonDocument(context: context))
            // Batch errors carry the record's index; their fields are column names.
            records = body.featuresList.map(RecordDecoding.record)
            address = body.model
        }
        guard records.count <= maxBatch else {
            throw APIError(
                .contentTooLarge, code: "batch_too_large", message: "A batch holds at most \(maxBatch) records; got \(records.count)",
                details: [FieldProblem(field: "features_list", problem: "at most \(maxBatch) records")])
        }
        guard !records.isEmpty else { throw APIError.validation(field: "features_list", problem: "no records") }
        let served = slot.served
        let model = try model(address, in: served, requestID: context.requestID)
        let series = model.metrics
        let start = ContinuousClock.now
        records = records.map { record in
            record.flatMap { fields in
                let refused = policy.issues(in: fields, for: model)
                return refused.isEmpty ? .success(fields) : .failure(RecordIssues(issues: refused))
            }
        }
        let valid = records.compactMap { try? $0.get() }
        var predicted = model.bundle.predict(records: valid)[...]
        var answered: [([String: RawValue], Prediction)] = []
        answered.reserveCapacity(valid.count)
        let now = Date()
        let outcomes = records.map { record -> Result<(Prediction, String), RecordIssues> in
            switch record {
            case .failure(let issues): return .failure(issues)
            case .success(let fields):
                guard let outcome = predicted.popFirst() else { return .failure(RecordIssues(issues: [])) }
                return outcome.map { prediction in
                    answered.append((fields, prediction))
                    return (prediction, predictionIDs.issue(model: model, predicted: prediction.value, at: now))
                }
            }
        }
        let elapsed = ContinuousClock.now - start
        series.latency.record(elapsed)
        series.traffic.record(elapsed, records: outcomes.count)
        let failures = outcomes.count { if case .failure = $0 { true } else { false } }
        series.predictions.increment(by: Int64(outcomes.count - failures))
        series.invalidRecords.increment(by: Int64(failures))
        if let drift = model.drift {
            for (fields, prediction) in answered { drift.record(fields, prediction: prediction) }
        }
        if model.arm == .champion, let challenger = served.shadow {
            shadow.submit(records: answered.map(\.0), answers: answered.map(\.1), challenger: challenger)
        }
        return PredictionJSON.batch(outcomes, model: model)
    }

    struct ModelList: Encodable, ResponseEncodable {
        struct Entry: Encodable {
            var name: String
            var version: String
            var modelType: String
            var task: String
            var runID: String?
            var champion: Bool
            var arm: String
            var bundleBytes: Int
            var memoryBytes: Int
            var mode: String?
            var share: Double?
            var shadow: ShadowSummary?
            var metrics: [String: Double]
            var classLabels: [String]
            var inputSchema: [ColumnSchema]
            var bundleMD5: String
            var loadedAt: Date

            enum CodingKeys: String, CodingKey {
                case name, version
                case modelType = "model_type"
                case task
                case runID = "run_id"
                case champion, arm
                case bundleBytes = "bundle_bytes"
                case memoryBytes = "memory_bytes"
                case mode, share, shadow, metrics
                case classLabels = "class_labels"
                case inputSchema = "input_schema"
                case bundleMD5 = "bundle_md5"
                case loadedAt = "loaded_at"
            }
        }

        struct ShadowSummary: Encodable {
            var compared: Int
            var agreed: Int
            var agreement: Double?
            var meanAbsoluteDifference: Double?
            var dropped: Int

            enum CodingKeys: String, CodingKey {
                case compared, agreed, agreement
                case meanAbsoluteDifference = "mean_absolute_difference"
                case dropped
            }
        }

        var models: [Entry]
        var lastReloadError: String?

        enum CodingKeys: String, CodingKey {
            case models
            case lastReloadError = "last_reload_error"
        }
    }

    @Sendable func models(request: Request, context: AppRequestContext) async throws -> ModelList {
        let served = slot.served
        let entries = served.all.map { model in
            let isChallenger = model.arm == .challenger
            let tally = isChallenger && served.mode == .shadow ? shadow.tally(of: model) : nil
            return ModelList.Entry(
                name: model.name, version: model.version, modelType: model.bundle.modelType, task: model.bundle.task.rawValue,
                runID: model.runID, champion: model.arm == .champion, arm: model.arm.rawValue, bundleBytes: model.bundleBytes,
                memoryBytes: model.memoryBytes, mode: isChallenger ? served.mode.rawValue : nil,
                share: isChallenger && served.mode == .canary ? served.share : nil,
                shadow: tally.map {
                    ModelList.ShadowSummary(
                        compared: $0.compared, agreed: $0.agreed, agreement: $0.agreement, meanAbsoluteDifference: $0.meanAbsoluteDifference,
                        dropped: $0.dropped)
                },
                metrics: model.bundle.metrics.filter { $0.value.isFinite }, classLabels: model.bundle.classLabels,
                inputSchema: model.bundle.inputSchema, bundleMD5: model.bundleMD5, loadedAt: model.loadedAt
            )
        }
        return ModelList(models: entries, lastReloadError: await loader.lastError)
    }

    @Sendable func reload(request: Request, context: AppRequestContext) async throws -> ModelList {
        do {
            try await loader.reload()
        } catch {
            throw APIError(
                .unprocessableContent, code: "reload_failed", message: "The champion could not be loaded; the previous model keeps serving: \(error)")
        }
        return try await models(request: request, context: context)
    }
}
