import Foundation
import GRDB

/// `JobStore` on the role's SQLite database.
public struct SQLiteJobStore: JobStore {
    let database: AppDatabase

    public init(database: AppDatabase) {
        self.database = database
    }

    /// The jobs table; every role database that runs jobs registers it.
    public static func registerMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("jobs-v1") { db in
            try db.create(table: "jobs") { table in
                table.autoIncrementedPrimaryKey("seq")
                table.column("job_id", .text).notNull().unique()
                table.column("job_type", .text).notNull()
                table.column("status", .text).notNull()
                table.column("progress", .integer).notNull().defaults(to: 0)
                table.column("message", .text)
                table.column("params", .text).notNull()
                table.column("result", .text)
                table.column("error", .text)
                table.column("created_by", .text).notNull()
                table.column("created_at", .datetime).notNull()
                table.column("started_at", .datetime)
                table.column("completed_at", .datetime)
            }
            try db.create(index: "jobs_status_type", on: "jobs", columns: ["status", "job_type"])
        }
    }

    public func insert(_ job: Job) async throws {
        try await database.pool.write { db in try job.insert(db) }
    }

    public func job(id: String) async throws -> Job? {
        try await database.pool.read { db in try Job.filter(Job.CodingKeys.jobID == id).fetchOne(db) }
    }

    public func list(_ query: JobQuery) async throws -> JobPage {
        try await database.pool.read { db in
            var request = Job.all()
            if let status = query.status { request = request.filter(Job.CodingKeys.status == status) }
            if let type = query.type { request = request.filter(Job.CodingKeys.jobType == type) }
            let total = try request.fetchCount(db)
            let jobs = try request.order(Column("seq").desc).limit(query.limit, offset: query.offset).fetchAll(db)
            return JobPage(jobs: jobs, total: total, limit: query.limit, offset: query.offset)
        }
    }

    public func pending(type: String, limit: Int) async throws -> [Job] {
        try await database.pool.read { db in
            try Job.filter(Job.CodingKeys.status == JobStatus.pending && Job.CodingKeys.jobType == type)
                .order(Column("seq"))
                .limit(limit)
                .fetchAll(db)
        }
    }

    public func markRunning(id: String, at date: Date) async throws -> Bool {
        try await database.pool.write { db in
            try db.execute(
                sql: "UPDATE jobs SET status = 'running', started_at = ?, message = 'started' WHERE job_id = ? AND status = 'pending'",
                arguments: [date, id]
            )
            return db.changesCount == 1
        }
    }

    public func updateProgress(id: String, progress: Int, message: String?) async throws {
        try await database.pool.write { db in
            try db.execute(
                sql: "UPDATE jobs SET progress = ?, message = COALESCE(?, message) WHERE job_id = ? AND status = 'running'",
                arguments: [progress, message, id]
            )
        }
    }

    public func finish(id: String, status: JobStatus, result: JSONValue?, error: String?, message: String?, at date: Date)
        async throws -> Bool
    {
        try await database.pool.write { db in
            try db.execute(
                sql: """
                    UPDATE jobs SET status = ?, result = ?, error = ?, message = COALESCE(?, message), completed_at = ?,
                        progress = CASE WHEN ? = 'completed' THEN 100 ELSE progress END
                    WHERE job_id = ? AND status IN ('pending', 'running')
                    """,
                arguments: [status, result?.jsonString(), error, message, date, status, id]
            )
            return db.changesCount == 1
        }
    }

    public func failInterrupted(message: String, at date: Date) async throws -> Int {
        try await database.pool.write { db in
            try db.execute(
                sql: "UPDATE jobs SET status = 'failed', error = ?, message = ?, completed_at = ? WHERE status = 'running'",
                arguments: [message, message, date]
            )
            return db.changesCount
        }
    }

    public func evictFinished(keeping: Int) async throws -> Int {
        try await database.pool.write { db in
            try db.execute(
                sql: """
                    DELETE FROM jobs WHERE seq IN (
                        SELECT seq FROM jobs WHERE status IN ('completed', 'failed', 'cancelled')
                        ORDER BY seq DESC LIMIT -1 OFFSET ?)
                    """,
                arguments: [keeping]
            )
            return db.changesCount
        }
    }

    public func countByStatus() async throws -> [JobStatus: Int] {
        try await database.pool.read { db in
            var counts: [JobStatus: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM jobs GROUP BY status") {
                if let status = JobStatus(rawValue: row["status"]) { counts[status] = row["n"] }
            }
            return counts
        }
    }
}
