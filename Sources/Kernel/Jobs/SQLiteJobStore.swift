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
        migrator.registerMigration("jobs-v2-leases") { db in
            try db.alter(table: "jobs") { table in
                table.add(column: "owner", .text)
                table.add(column: "lease_expires_at", .datetime)
                table.add(column: "attempts", .integer).notNull().defaults(to: 0)
                table.add(column: "cancel_requested", .boolean).notNull().defaults(to: false)
            }
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

    public func claim(type: String, limit: Int, owner: String, at date: Date, leaseUntil: Date) async throws -> [Job] {
        try await database.pool.write { db in
            let ids = try String.fetchAll(
                db, sql: "SELECT job_id FROM jobs WHERE status = 'pending' AND job_type = ? ORDER BY seq LIMIT ?", arguments: [type, limit]
            )
            for id in ids {
                try db.execute(
                    sql: """
                        UPDATE jobs SET status = 'running', started_at = ?, message = 'started', owner = ?, lease_expires_at = ?,
                            attempts = attempts + 1
                        WHERE job_id = ?
                        """,
                    arguments: [date, owner, leaseUntil, id]
                )
            }
            return try Job.filter(ids.contains(Job.CodingKeys.jobID)).order(Column("seq")).fetchAll(db)
        }
    }

    public func renewLeases(ids: [String], owner: String, until: Date) async throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        return try await database.pool.write { db in
            let held = Job.filter(ids.contains(Job.CodingKeys.jobID) && Column("owner") == owner && Job.CodingKeys.status == JobStatus.running)
            try held.updateAll(db, Column("lease_expires_at").set(to: until))
            return Set(try String.fetchAll(db, held.filter(Column("cancel_requested") == true).select(Job.CodingKeys.jobID)))
        }
    }

    public func requestCancel(id: String) async throws -> Bool {
        try await database.pool.write { db in
            try db.execute(
                sql: "UPDATE jobs SET cancel_requested = 1, message = 'cancellation requested' WHERE job_id = ? AND status = 'running'",
                arguments: [id]
            )
            return db.changesCount == 1
        }
    }

    public func requeueExpired(at date: Date, maxAttempts: Int) async throws -> (requeued: Int, failed: Int) {
        try await database.pool.write { db in
            let expired = "status = 'running' AND lease_expires_at < ?"
            try db.execute(
                sql: "UPDATE jobs SET status = 'cancelled', message = 'cancelled', completed_at = ?, owner = NULL WHERE \(expired) AND cancel_requested",
                arguments: [date, date]
            )
            try db.execute(
                sql: """
                    UPDATE jobs SET status = 'failed', error = ?, message = 'failed', completed_at = ?, owner = NULL
                    WHERE \(expired) AND attempts >= ?
                    """,
                arguments: [JobLease.exhausted(maxAttempts), date, date, maxAttempts]
            )
            let failed = db.changesCount
            try db.execute(
                sql: """
                    UPDATE jobs SET status = 'pending', message = ?, progress = 0, started_at = NULL, owner = NULL, lease_expires_at = NULL
                    WHERE \(expired) AND attempts < ?
                    """,
                arguments: [JobLease.requeuedMessage, date, maxAttempts]
            )
            return (db.changesCount, failed)
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

    public func finish(
        id: String, status: JobStatus, result: JSONValue?, error: String?, message: String?, at date: Date, owner: String?
    ) async throws -> Bool {
        try await database.pool.write { db in
            try db.execute(
                sql: """
                    UPDATE jobs SET status = ?, result = ?, error = ?, message = COALESCE(?, message), completed_at = ?,
                        progress = CASE WHEN ? = 'completed' THEN 100 ELSE progress END
                    WHERE job_id = ? AND (status = 'pending' OR (status = 'running' AND (? IS NULL OR owner = ?)))
                    """,
                arguments: [status, result?.jsonString(), error, message, date, status, id, owner, owner]
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
