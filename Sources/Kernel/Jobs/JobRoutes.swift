import Foundation
import Hummingbird

/// The job endpoints every job-running role serves under its prefix:
/// `GET /status/{job_id}`, `GET /jobs`, `POST /jobs/{job_id}/cancel`.
public enum JobRoutes {
    public static func register<Routes: RouterMethods>(on routes: Routes, runner: JobRunner)
    where Routes.Context == AppRequestContext {
        routes.get("status/{job_id}") { _, context -> Job in
            let id = try context.parameters.require("job_id")
            guard let job = try await runner.store.job(id: id) else { throw APIError(JobRunner.Refusal.notFound(id: id)) }
            return job
        }
        routes.get("jobs") { request, _ -> JobPage in
            try await runner.store.list(try query(from: request, runner: runner))
        }
        routes.post("jobs/{job_id}/cancel") { _, context -> Job in
            try await runner.cancel(id: try context.parameters.require("job_id"))
        }
    }

    static func query(from request: Request, runner: JobRunner) throws -> JobQuery {
        let parameters = request.uri.queryParameters
        var problems: [FieldProblem] = []
        var query = JobQuery()
        if let status = parameters.get("status") {
            if let value = JobStatus(rawValue: status) {
                query.status = value
            } else {
                problems.append(.init(field: "status", problem: "expected one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", "))"))
            }
        }
        // `job_type` as the services mlopsd replaces named the filter; either name, or an alias.
        if let type = parameters.get("job_type") ?? parameters.get("type") {
            query.type = runner.kindName(for: type)
        }
        do {
            let page = try PageRequest(request)
            query.limit = page.limit
            query.offset = page.offset
        } catch let error as APIError {
            problems += error.details
        }
        guard problems.isEmpty else { throw APIError.validation(problems) }
        return query
    }
}

extension APIError {
    /// The HTTP answer to a refusal of the job runner.
    init(_ refusal: JobRunner.Refusal) {
        switch refusal {
        case .unknownType: self = .validation(field: "job_type", problem: refusal.description)
        case .notFound: self = .notFound(refusal.description)
        case .alreadyFinished: self = APIError(.conflict, code: "job_finished", message: refusal.description)
        }
    }
}

/// `202 Accepted` for a queued job, pointing at its status URL.
public struct JobAccepted: ResponseGenerator {
    public let job: Job
    public let statusURL: String
    /// When to look first: most jobs have moved on by then.
    public static let retryAfterSeconds = 1

    public init(job: Job, statusPrefix: String) {
        self.job = job
        self.statusURL = Self.statusURL(of: job, prefix: statusPrefix)
    }

    /// Where a job's status is, for the roles' generated 202 answers as for this one.
    public static func statusURL(of job: Job, prefix: String) -> String {
        "\(prefix)/status/\(job.jobID)"
    }

    struct Body: Encodable {
        let jobID: String
        let jobType: String
        let status: JobStatus
        let statusURL: String

        enum CodingKeys: String, CodingKey {
            case jobID = "job_id"
            case jobType = "job_type"
            case status
            case statusURL = "status_url"
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try context.responseEncoder.encode(
            Body(jobID: job.jobID, jobType: job.jobType, status: job.status, statusURL: statusURL),
            from: request,
            context: context
        )
        response.status = .accepted
        response.headers[.location] = statusURL
        response.headers[.retryAfter] = String(Self.retryAfterSeconds)
        return response
    }
}
