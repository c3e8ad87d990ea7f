import Foundation
import MLOpsAPI
import OpenAPIRuntime

/// The roles that run jobs; each has its own job routes.
public enum JobRole: String, Sendable, CaseIterable {
    case data, train
}

public typealias JobRecord = Components.Schemas.Job

extension Components.Schemas.Job.StatusPayload {
    public var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }
}

extension Components.Schemas.Job {
    /// The result of a completed job as the spec's schema for its kind (`TrainingResult`…).
    public func result<Result: Decodable>(as type: Result.Type) throws -> Result {
        guard let result else { throw ClientError.network("job \(jobId) has no result") }
        return try result.recoded(as: type)
    }
}

extension Encodable {
    /// The same JSON read as another type: free-form values the spec documents elsewhere.
    public func recoded<Other: Decodable>(as type: Other.Type) throws -> Other {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode(type, from: try encoder.encode(self))
        } catch {
            throw ClientError.network("the server's answer does not follow the API (\(Other.self): \(error))")
        }
    }
}

extension APIClient {
    public func job(_ id: String, role: JobRole) async throws -> JobRecord {
        try await call { api in
            switch role {
            case .data: try await api.dataJobStatus(path: .init(jobId: id)).ok.body.json
            case .train: try await api.trainJobStatus(path: .init(jobId: id)).ok.body.json
            }
        }
    }

    public func cancelJob(_ id: String, role: JobRole) async throws -> JobRecord {
        try await call { api in
            switch role {
            case .data: try await api.dataCancelJob(path: .init(jobId: id)).ok.body.json
            case .train: try await api.trainCancelJob(path: .init(jobId: id)).ok.body.json
            }
        }
    }

    public func jobs(role: JobRole, limit: Int) async throws -> Components.Schemas.JobPage {
        try await call { api in
            switch role {
            case .data: try await api.dataListJobs(query: .init(limit: limit)).ok.body.json
            case .train: try await api.trainListJobs(query: .init(limit: limit)).ok.body.json
            }
        }
    }
}
