import Foundation
import GRDB
import Hummingbird

public enum JobStatus: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case pending, running, completed, failed, cancelled

    public var isFinished: Bool { self == .completed || self == .failed || self == .cancelled }
}

/// One asynchronous job, as stored and as returned by `GET …/status/{job_id}`.
public struct Job: Codable, Sendable, Equatable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "jobs"

    public var jobID: String
    public var jobType: String
    public var status: JobStatus
    public var progress: Int
    public var message: String?
    public var params: JSONValue
    public var result: JSONValue?
    public var error: String?
    public var createdBy: String
    public var createdAt: Date
    public var startedAt: Date?
    public var completedAt: Date?

    enum CodingKeys: String, CodingKey, ColumnExpression {
        case jobID = "job_id"
        case jobType = "job_type"
        case status, progress, message, params, result, error
        case createdBy = "created_by"
        case createdAt = "created_at"
        case startedAt = "started_at"
        case completedAt = "completed_at"
    }

    // Explicit row mapping: JSON documents are stored as text, and `null` parameters stay `null`.
    public init(row: Row) throws {
        jobID = row["job_id"]
        jobType = row["job_type"]
        status = row["status"]
        progress = row["progress"]
        message = row["message"]
        params = try JSONValue(jsonString: row["params"] ?? "null")
        result = try (row["result"] as String?).map(JSONValue.init(jsonString:))
        error = row["error"]
        createdBy = row["created_by"]
        createdAt = row["created_at"]
        startedAt = row["started_at"]
        completedAt = row["completed_at"]
    }

    public func encode(to container: inout PersistenceContainer) throws {
        container["job_id"] = jobID
        container["job_type"] = jobType
        container["status"] = status
        container["progress"] = progress
        container["message"] = message
        container["params"] = params.jsonString()
        container["result"] = result?.jsonString()
        container["error"] = error
        container["created_by"] = createdBy
        container["created_at"] = createdAt
        container["started_at"] = startedAt
        container["completed_at"] = completedAt
    }

    public init(type: String, params: JSONValue, createdBy: String, now: Date = Date()) {
        self.jobID = UUID().uuidString.lowercased()
        self.jobType = type
        self.status = .pending
        self.progress = 0
        self.message = "queued"
        self.params = params
        self.result = nil
        self.error = nil
        self.createdBy = createdBy
        self.createdAt = now
    }
}

/// Filters and paging for job listings.
public struct JobQuery: Sendable, Equatable {
    public var status: JobStatus?
    public var type: String?
    public var limit: Int
    public var offset: Int

    public init(status: JobStatus? = nil, type: String? = nil, limit: Int = 50, offset: Int = 0) {
        self.status = status
        self.type = type
        self.limit = limit
        self.offset = offset
    }
}

/// A page of jobs. The list is written twice, as `jobs` and as `items` (where the services mlopsd
/// replaces put it), so clients of either find it.
public struct JobPage: Codable, Sendable {
    public var jobs: [Job]
    public var total: Int
    public var limit: Int
    public var offset: Int

    enum CodingKeys: String, CodingKey {
        case jobs, items, total, limit, offset
    }

    public init(jobs: [Job], total: Int, limit: Int, offset: Int) {
        self.jobs = jobs
        self.total = total
        self.limit = limit
        self.offset = offset
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        jobs = try container.decodeIfPresent([Job].self, forKey: .jobs) ?? container.decode([Job].self, forKey: .items)
        total = try container.decode(Int.self, forKey: .total)
        limit = try container.decode(Int.self, forKey: .limit)
        offset = try container.decode(Int.self, forKey: .offset)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(jobs, forKey: .jobs)
        try container.encode(jobs, forKey: .items)
        try container.encode(total, forKey: .total)
        try container.encode(limit, forKey: .limit)
        try container.encode(offset, forKey: .offset)
    }
}

extension Job: ResponseEncodable {}
extension JobPage: ResponseEncodable {}
