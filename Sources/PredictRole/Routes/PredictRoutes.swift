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

    func install(on routes: RouterGroup<AppRequestContext>) {
        let users = routes.group().add(middleware: AuthGuard.authenticated(tokens))
        users.post(use: predict)
        users.post("batch", use: batch)
        users.get("models", use: models)
        routes.group("reload").add(middleware: AuthGuard.admin(tokens)).post(use: reload)
    }

    /// The model a request asks for: the champion, unless it names another.
    private func model(named name: String?) throws -> LoadedModel {
        guard let model = slot.model else {
            throw APIError(.serviceUnavailable, code: "no_model", message: "No model is loaded yet: promote one with POST /api/v1/train/fetch-best-model")
        }
        if let name, name != model.name {
            throw APIError(
                .notFound, code: "not_found", message: "Model '\(name)' is not loaded; loaded: '\(model.name)'",
                details: [FieldProblem(field: "model_name", problem: "not loaded")])
        }
        return model
    }

    @Sendable func predict(request: Request, context: AppRequestContext) async throws -> JSONResponse {
        let body = try PredictRequest(await request.jsonDocument(context: context))
        let model = try model(named: body.modelName)
        let series = model.metrics
        let start = ContinuousClock.now
        let result = RecordDecoding.record(body.features).flatMap { record in
            let refused = policy.issues(in: record, for: model)
            return refused.isEmpty ? model.bundle.predict(records: [record])[0] : .failure(RecordIssues(issues: refused))
        }.mapError { issues in
            RecordIssues(issues: issues.issues.map { FieldIssue(field: "features.\($0.field)", problem: $0.problem) })
        }
        series.latency.record(ContinuousClock.now - start)
        switch result {
        case .success(let prediction):
            series.predictions.increment()
            return PredictionJSON.single(prediction, model: model)
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
        var modelName: String?
        if let contentType, contentType.isType(.textCsv) {
            let buffer = try await request.body.collect(upTo: context.bodyLimit)
            records = try RecordDecoding.records(csv: buffer).map { .success($0) }
            modelName = request.uri.queryParameters.get("model_name")
        } else {
            let body = try BatchRequest(await request.jsonDocument(context: context))
            // Batch errors carry the record's index; their fields are column names.
            records = body.featuresList.map(RecordDecoding.record)
            modelName = body.modelName
        }
        guard records.count <= maxBatch else {
            throw APIError(
                .contentTooLarge, code: "batch_too_large", message: "A batch holds at most \(maxBatch) records; got \(records.count)",
                details: [FieldProblem(field: "features_list", problem: "at most \(maxBatch) records")])
        }
        guard !records.isEmpty else { throw APIError.validation(field: "features_list", problem: "no records") }
        let model = try model(named: modelName)
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
        let outcomes = records.map { record -> Result<Prediction, RecordIssues> in
            switch record {
            case .failure(let issues): .failure(issues)
            case .success: predicted.popFirst() ?? .failure(RecordIssues(issues: []))
            }
        }
        series.latency.record(ContinuousClock.now - start)
        let failures = outcomes.count { if case .failure = $0 { true } else { false } }
        series.predictions.increment(by: Int64(outcomes.count - failures))
        series.invalidRecords.increment(by: Int64(failures))
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
                case champion, metrics
                case classLabels = "class_labels"
                case inputSchema = "input_schema"
                case bundleMD5 = "bundle_md5"
                case loadedAt = "loaded_at"
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
        let entries = [slot.model].compactMap { $0 }.map { model in
            ModelList.Entry(
                name: model.name, version: model.version, modelType: model.bundle.modelType, task: model.bundle.task.rawValue,
                runID: model.runID, champion: true, metrics: model.bundle.metrics.filter { $0.value.isFinite },
                classLabels: model.bundle.classLabels, inputSchema: model.bundle.inputSchema, bundleMD5: model.bundleMD5,
                loadedAt: model.loadedAt
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
