import Foundation
import Logging
import PostgresNIO

/// `JobStore` in PostgreSQL: one `jobs` table for every role, each store seeing its own role's
/// rows only, with the same conditional transitions as the SQLite store.
public struct PostgresJobStore: JobStore {
    let database: SharedDatabase
    let role: String
    let logger: Logger

    public init(database: SharedDatabase, role: String, logger: Logger) {
        self.database = database
        self.role = role
        self.logger = logger
    }

    public static let migrations: [SharedDatabase.Migration] = [
        .init(
            "jobs-v1",
            [
                """
                CREATE TABLE jobs (
                    seq BIGSERIAL PRIMARY KEY,
                    role TEXT NOT NULL,
                    job_id TEXT NOT NULL UNIQUE,
                    job_type TEXT NOT NULL,
                    status TEXT NOT NULL,
                    progress INTEGER NOT NULL DEFAULT 0,
                    message TEXT,
                    params TEXT NOT NULL,
                    result TEXT,
                    error TEXT,
                    created_by TEXT NOT NULL,
                    created_at TIMESTAMPTZ NOT NULL,
                    started_at TIMESTAMPTZ,
                    completed_at TIMESTAMPTZ,
                    owner TEXT,
                    lease_expires_at TIMESTAMPTZ,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    cancel_requested BOOLEAN NOT NULL DEFAULT false
                )
                """,
                "CREATE INDEX jobs_role_status_type ON jobs (role, status, job_type)",
            ])
    ]

    /// The columns `job(from:)` reads, in its order.
    static let columns = "job_id, job_type, status, progress, message, params, result, error, created_by, created_at, started_at, completed_at"

    typealias JobRow = (String, String, String, Int, String?, String, String?, String?, String, Date, Date?, Date?)

    static func job(from row: JobRow) throws -> Job {
        guard let status = JobStatus(rawValue: row.2) else {
            throw PostgresStoreError(problem: "job \(row.0) has an unknown status '\(row.2)'")
        }
        var job = Job(type: row.1, params: try JSONValue(jsonString: row.5), createdBy: row.8, now: row.9)
        job.jobID = row.0
        job.status = status
        job.progress = row.3
        job.message = row.4
        job.result = try row.6.map(JSONValue.init(jsonString:))
        job.error = row.7
        job.startedAt = row.10
        job.completedAt = row.11
        return job
    }

    func jobs(_ query: PostgresQuery) async throws -> [Job] {
        var jobs: [Job] = []
        for try await row in try await database.client.query(query, logger: logger).decode(JobRow.self) {
            jobs.append(try Self.job(from: row))
        }
        return jobs
    }

    public func insert(_ job: Job) async throws {
        try await database.client.query(
            """
            INSERT INTO jobs (role, job_id, job_type, status, progress, message, params, result, error, created_by,
                created_at, started_at, completed_at)
            VALUES (\(role), \(job.jobID), \(job.jobType), \(job.status.rawValue), \(job.progress), \(job.message),
                \(job.params.jsonString()), \(job.result?.jsonString()), \(job.error), \(job.createdBy), \(job.createdAt),
                \(job.startedAt), \(job.completedAt))
            """,
            logger: logger
        )
    }

    public func job(id: String) async throws -> Job? {
        try await jobs("SELECT \(unescaped: Self.columns) FROM jobs WHERE role = \(role) AND job_id = \(id)").first
    }

    public func list(_ query: JobQuery) async throws -> JobPage {
        let status = query.status?.rawValue
        let total = try await database.integer(
            """
            SELECT COUNT(*) FROM jobs
            WHERE role = \(role) AND (\(status)::TEXT IS NULL OR status = \(status)) AND (\(query.type)::TEXT IS NULL OR job_type = \(query.type))
            """
        )
        let page = try await jobs(
            """
            SELECT \(unescaped: Self.columns) FROM jobs
            WHERE role = \(role) AND (\(status)::TEXT IS NULL OR status = \(status)) AND (\(query.type)::TEXT IS NULL OR job_type = \(query.type))
            ORDER BY seq DESC LIMIT \(query.limit) OFFSET \(query.offset)
            """
        )
        return JobPage(jobs: page, total: total, limit: query.limit, offset: query.offset)
    }

    /// SKIP LOCKED: replicas claiming at the same moment each take other rows instead of waiting.
    public func claim(type: String, limit: Int, owner: String, at date: Date, leaseUntil: Date) async throws -> [Job] {
        try await jobs(
            """
            WITH claimed AS (
                UPDATE jobs SET status = 'running', started_at = \(date), message = 'started', owner = \(owner),
                    lease_expires_at = \(leaseUntil), attempts = attempts + 1
                WHERE seq IN (
                    SELECT seq FROM jobs WHERE role = \(role) AND status = 'pending' AND job_type = \(type)
                    ORDER BY seq LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                RETURNING seq, \(unescaped: Self.columns))
            SELECT \(unescaped: Self.columns) FROM claimed ORDER BY seq
            """
        )
    }

    public func renewLeases(ids: [String], owner: String, until: Date) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        var cancelled: Set<String> = []
        let rows = try await database.client.query(
            """
            UPDATE jobs SET lease_expires_at = \(until)
            WHERE role = \(role) AND job_id = ANY(\(ids)) AND owner = \(owner) AND status = 'running'
            RETURNING job_id, cancel_requested
            """,
            logger: logger
        )
        for try await (id, cancelRequested) in rows.decode((String, Bool).self) where cancelRequested {
            cancelled.insert(id)
        }
        return cancelled
    }

    public func requestCancel(id: String) async throws -> Bool {
        try await database.rowCount(
            """
            UPDATE jobs SET cancel_requested = true, message = 'cancellation requested'
            WHERE role = \(role) AND job_id = \(id) AND status = 'running' RETURNING 1
            """
        ) == 1
    }

    public func requeueExpired(at date: Date, maxAttempts: Int) async throws -> (requeued: Int, failed: Int) {
        try await database.transaction { connection in
            func count(_ query: PostgresQuery) async throws -> Int {
                var count = 0
                for try await _ in try await connection.query(query, logger: logger) { count += 1 }
                return count
            }
            _ = try await count(
                """
                UPDATE jobs SET status = 'cancelled', message = 'cancelled', completed_at = \(date), owner = NULL
                WHERE role = \(role) AND status = 'running' AND lease_expires_at < \(date) AND cancel_requested RETURNING 1
                """
            )
            let failed = try await count(
                """
                UPDATE jobs SET status = 'failed', error = \(JobLease.exhausted(maxAttempts)), message = 'failed',
                    completed_at = \(date), owner = NULL
                WHERE role = \(role) AND status = 'running' AND lease_expires_at < \(date) AND attempts >= \(maxAttempts) RETURNING 1
                """
            )
            let requeued = try await count(
                """
                UPDATE jobs SET status = 'pending', message = \(JobLease.requeuedMessage), progress = 0, started_at = NULL,
                    owner = NULL, lease_expires_at = NULL
                WHERE role = \(role) AND status = 'running' AND lease_expires_at < \(date) AND attempts < \(maxAttempts) RETURNING 1
                """
            )
            return (requeued, failed)
        }
    }

    public func updateProgress(id: String, progress: Int, message: String?) async throws {
        _ = try await database.rowCount(
            """
            UPDATE jobs SET progress = \(progress), message = COALESCE(\(message), message)
            WHERE role = \(role) AND job_id = \(id) AND status = 'running' RETURNING 1
            """
        )
    }

    public func finish(
        id: String, status: JobStatus, result: JSONValue?, error: String?, message: String?, at date: Date, owner: String?
    ) async throws -> Bool {
        try await database.rowCount(
            """
            UPDATE jobs SET status = \(status.rawValue), result = \(result?.jsonString()), error = \(error),
                message = COALESCE(\(message), message), completed_at = \(date),
                progress = CASE WHEN \(status.rawValue) = 'completed' THEN 100 ELSE progress END
            WHERE role = \(role) AND job_id = \(id)
                AND (status = 'pending' OR (status = 'running' AND (\(owner)::TEXT IS NULL OR owner = \(owner))))
            RETURNING 1
            """
        ) == 1
    }

    public func failInterrupted(message: String, at date: Date) async throws -> Int {
        try await database.rowCount(
            """
            UPDATE jobs SET status = 'failed', error = \(message), message = \(message), completed_at = \(date)
            WHERE role = \(role) AND status = 'running' RETURNING 1
            """
        )
    }

    public func evictFinished(keeping: Int) async throws -> Int {
        try await database.rowCount(
            """
            DELETE FROM jobs WHERE seq IN (
                SELECT seq FROM jobs WHERE role = \(role) AND status IN ('completed', 'failed', 'cancelled')
                ORDER BY seq DESC OFFSET \(keeping))
            RETURNING 1
            """
        )
    }

    public func countByStatus() async throws -> [JobStatus: Int] {
        var counts: [JobStatus: Int] = [:]
        let rows = try await database.client.query("SELECT status, COUNT(*) FROM jobs WHERE role = \(role) GROUP BY status", logger: logger)
        for try await (status, count) in rows.decode((String, Int).self) {
            if let status = JobStatus(rawValue: status) { counts[status] = count }
        }
        return counts
    }
}

/// A row that the store cannot turn back into its value.
public struct PostgresStoreError: Error, CustomStringConvertible {
    public var problem: String
    public var description: String { problem }

    public init(problem: String) {
        self.problem = problem
    }
}
