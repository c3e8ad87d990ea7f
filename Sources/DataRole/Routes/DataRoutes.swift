import Hummingbird
import Kernel

/// The `/api/v1/data` endpoints (admin only). Jobs' status, listing and cancel routes come
/// with the kernel's `JobRoutes`.
struct DataRoutes: Sendable {
    let registry: DatasetRegistry
    let catalog: any DataCatalog
    let runner: JobRunner
    let tokens: TokenCodec

    func install(on routes: RouterGroup<AppRequestContext>) {
        let admin = routes.group().add(middleware: AuthGuard.admin(tokens))
        admin.post("datasets", use: upload)
        admin.get("datasets", use: listDatasets)
        admin.get("datasets/{id}", use: showDataset)
        admin.post("preprocess", use: preprocess)
        admin.post("build-features", use: buildFeatures)
        admin.get("versions", use: listVersions)
        admin.get("versions/{version}", use: showVersion)
    }

    @Sendable func upload(request: Request, context: AppRequestContext) async throws -> Response {
        let user = try context.requireUser()
        let (dataset, created) = try await registry.upload(request, uploadedBy: user.username)
        var response = try DatasetDetail(dataset: dataset).response(from: request, context: context)
        // 201 for new bytes; 200 when the same bytes were registered before (nothing was copied).
        response.status = created ? .created : .ok
        response.headers[.location] = "\(ServiceRole.data.apiPrefix)/datasets/\(dataset.id)"
        return response
    }

    @Sendable func listDatasets(request: Request, context: AppRequestContext) async throws -> DatasetPage {
        let page = try PageRequest(request)
        let found = try await catalog.datasets(name: request.uri.queryParameters.get("name"), limit: page.limit, offset: page.offset)
        return DatasetPage(datasets: found.datasets.map(DatasetSummary.init), total: found.total, limit: page.limit, offset: page.offset)
    }

    @Sendable func showDataset(request: Request, context: AppRequestContext) async throws -> DatasetDetail {
        let id = try context.parameters.require("id")
        guard let dataset = try await catalog.dataset(id: id) else { throw APIError.notFound("No dataset with id '\(id)'") }
        return DatasetDetail(dataset: dataset)
    }

    @Sendable func preprocess(request: Request, context: AppRequestContext) async throws -> JobAccepted {
        let user = try context.requireUser()
        let body = try await request.decodeJSON(PreprocessRequest.self, context: context)
        guard let dataset = try await catalog.dataset(id: body.datasetID) else {
            throw Self.unknown("dataset_id", "No dataset with id '\(body.datasetID)'")
        }
        try body.validate(against: dataset)
        let job = try await runner.submit(type: PreprocessJob.type, params: try JSONValue(encoding: body), createdBy: user.username)
        return JobAccepted(job: job, statusPrefix: ServiceRole.data.apiPrefix)
    }

    @Sendable func buildFeatures(request: Request, context: AppRequestContext) async throws -> JobAccepted {
        let user = try context.requireUser()
        let body = try await request.decodeJSON(BuildFeaturesRequest.self, context: context)
        try body.validate()
        guard let processed = try await catalog.version(body.processedVersion), processed.kind == .processed else {
            throw Self.unknown("processed_version", "No processed version '\(body.processedVersion)'")
        }
        let job = try await runner.submit(type: BuildFeaturesJob.type, params: try JSONValue(encoding: body), createdBy: user.username)
        return JobAccepted(job: job, statusPrefix: ServiceRole.data.apiPrefix)
    }

    @Sendable func listVersions(request: Request, context: AppRequestContext) async throws -> DataVersionPage {
        let page = try PageRequest(request)
        let parameters = request.uri.queryParameters
        var kind: DataVersionKind?
        if let text = parameters.get("kind") {
            guard let value = DataVersionKind(rawValue: text) else {
                throw APIError.validation(field: "kind", problem: "expected one of \(DataVersionKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            kind = value
        }
        let found = try await catalog.versions(kind: kind, parent: parameters.get("parent"), limit: page.limit, offset: page.offset)
        return DataVersionPage(versions: found.versions, total: found.total, limit: page.limit, offset: page.offset)
    }

    @Sendable func showVersion(request: Request, context: AppRequestContext) async throws -> DataVersionRecord {
        let version = try context.parameters.require("version")
        guard let record = try await catalog.version(version) else { throw APIError.notFound("No data version '\(version)'") }
        return record
    }

    /// A reference in the body to something that does not exist: 404, naming the field.
    static func unknown(_ field: String, _ message: String) -> APIError {
        APIError(.notFound, code: "not_found", message: message, details: [FieldProblem(field: field, problem: "does not exist")])
    }
}
