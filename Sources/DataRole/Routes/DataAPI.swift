import Foundation
import HTTPTypes
import Hummingbird
import Kernel
import OpenAPIRuntime

/// The `/api/v1/data` operations (admin only): the generated `APIProtocol`, but for the upload,
/// which streams to disk as it arrives and stays a route of its own (its contract is still the
/// spec's: the coverage test and schemathesis hold it there). Jobs' status, listing and cancel
/// routes come with the kernel's `JobRoutes`.
struct DataAPI: APIProtocol {
    let registry: DatasetRegistry
    let catalog: any DataCatalog
    let runner: JobRunner
    let defaults: JobDefaults
    let tokens: TokenCodec
    let document: OpenAPIDocument

    func install(on routes: RouterGroup<AppRequestContext>) {
        let admin = routes.group().add(middleware: AuthGuard.admin(tokens))
        admin.post("datasets", use: upload)
        do {
            try registerHandlers(
                on: OperationRouter(document: document, prefix: ServiceRole.data.apiPrefix, open: admin), configuration: OperationRouter.configuration)
        } catch {
            // The spec's data paths are all under the prefix; a test registers them on every run.
            preconditionFailure("data operations could not be registered: \(error)")
        }
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

    func listDatasets(_ input: Operations.ListDatasets.Input) async throws -> Operations.ListDatasets.Output {
        // The kernel has checked the paging range against the spec.
        let (limit, offset) = (input.query.limit ?? 50, input.query.offset ?? 0)
        let found = try await catalog.datasets(name: input.query.name, limit: limit, offset: offset)
        let page = DatasetPage(datasets: found.datasets.map(DatasetSummary.init), total: found.total, limit: limit, offset: offset)
        return .ok(.init(body: .json(try JSONValue(encoding: page).decode(Components.Schemas.DatasetPage.self))))
    }

    func getDataset(_ input: Operations.GetDataset.Input) async throws -> Operations.GetDataset.Output {
        let id = input.path.id
        guard let dataset = try await catalog.dataset(id: id) else { throw APIError.notFound("No dataset with id '\(id)'") }
        return .ok(.init(body: .json(try JSONValue(encoding: DatasetDetail(dataset: dataset)).decode(Components.Schemas.DatasetDetail.self))))
    }

    func preprocess(_ input: Operations.Preprocess.Input) async throws -> Operations.Preprocess.Output {
        guard case .json(let json) = input.body else { throw APIError.badRequest("A JSON body is expected") }
        let user = try OperationScope.active.requireUser()
        // The job keeps the request as its parameters, in the form it reads them back.
        let sent = try JSONValue(encoding: json).objectValue ?? [:]
        let body = try JSONValue.object(try await defaults.completingPreprocess(sent, catalog: catalog)).decode(PreprocessRequest.self)
        guard let dataset = try await catalog.dataset(id: body.datasetID) else {
            throw Self.unknown("dataset_id", "No dataset with id '\(body.datasetID)'")
        }
        try body.validate(against: dataset)
        let job = try await runner.submit(type: PreprocessJob.type, params: try JSONValue(encoding: body), createdBy: user.username)
        let accepted = Self.accepted(job)
        return .accepted(.init(headers: .init(location: accepted.location, retryAfter: JobAccepted.retryAfterSeconds), body: .json(accepted.body)))
    }

    func buildFeatures(_ input: Operations.BuildFeatures.Input) async throws -> Operations.BuildFeatures.Output {
        guard case .json(let json) = input.body else { throw APIError.badRequest("A JSON body is expected") }
        let user = try OperationScope.active.requireUser()
        let sent = try JSONValue(encoding: json).objectValue ?? [:]
        let body = try JSONValue.object(try await defaults.completingBuildFeatures(sent, catalog: catalog)).decode(BuildFeaturesRequest.self)
        try body.validate()
        guard let processed = try await catalog.version(body.processedVersion), processed.kind == .processed else {
            throw Self.unknown("processed_version", "No processed version '\(body.processedVersion)'")
        }
        let job = try await runner.submit(type: BuildFeaturesJob.type, params: try JSONValue(encoding: body), createdBy: user.username)
        let accepted = Self.accepted(job)
        return .accepted(.init(headers: .init(location: accepted.location, retryAfter: JobAccepted.retryAfterSeconds), body: .json(accepted.body)))
    }

    func listDataVersions(_ input: Operations.ListDataVersions.Input) async throws -> Operations.ListDataVersions.Output {
        let (limit, offset) = (input.query.limit ?? 50, input.query.offset ?? 0)
        let kind = input.query.kind.flatMap { DataVersionKind(rawValue: $0.rawValue) }
        let found = try await catalog.versions(kind: kind, parent: input.query.parent, limit: limit, offset: offset)
        let page = DataVersionPage(versions: found.versions, total: found.total, limit: limit, offset: offset)
        return .ok(.init(body: .json(try JSONValue(encoding: page).decode(Components.Schemas.DataVersionPage.self))))
    }

    func getDataVersion(_ input: Operations.GetDataVersion.Input) async throws -> Operations.GetDataVersion.Output {
        let version = input.path.version
        guard let record = try await catalog.version(version) else { throw APIError.notFound("No data version '\(version)'") }
        return .ok(.init(body: .json(try JSONValue(encoding: record).decode(Components.Schemas.DataVersion.self))))
    }

    /// A queued job's 202 body and where its status is.
    static func accepted(_ job: Job) -> (location: String, body: Components.Schemas.JobAccepted) {
        let statusURL = JobAccepted.statusURL(of: job, prefix: ServiceRole.data.apiPrefix)
        return (statusURL, .init(jobId: job.jobID, jobType: job.jobType, status: job.status.rawValue, statusUrl: statusURL))
    }

    /// A reference in the body to something that does not exist: 404, naming the field.
    static func unknown(_ field: String, _ message: String) -> APIError {
        APIError(.notFound, code: "not_found", message: message, details: [FieldProblem(field: field, problem: "does not exist")])
    }
}
