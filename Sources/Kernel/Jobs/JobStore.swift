import Foundation

/// Persistence for jobs. Transitions are conditional on the current status so concurrent
/// cancel/finish calls cannot overwrite each other. A running job is held by an owner (one
/// runner) under a lease the owner renews: where several replicas share one store, a job whose
/// owner died goes back to the queue when its lease runs out.
public protocol JobStore: Sendable {
    func insert(_ job: Job) async throws
    func job(id: String) async throws -> Job?
    func list(_ query: JobQuery) async throws -> JobPage
    /// pending → running for up to `limit` of the oldest pending jobs of one type, first in first
    /// out, held by `owner` until `leaseUntil`. Concurrent callers never get the same job.
    func claim(type: String, limit: Int, owner: String, at date: Date, leaseUntil: Date) async throws -> [Job]
    /// Extends the leases `owner` still holds among `ids`; returns those whose cancellation was
    /// requested (through any replica).
    func renewLeases(ids: [String], owner: String, until: Date) async throws -> Set<String>
    /// Marks a running job for cancellation; its owner stops it at its next checkpoint.
    func requestCancel(id: String) async throws -> Bool
    /// Running jobs whose lease ran out go back to pending while they have attempts left, and
    /// fail after the last one.
    func requeueExpired(at date: Date, maxAttempts: Int) async throws -> (requeued: Int, failed: Int)
    func updateProgress(id: String, progress: Int, message: String?) async throws
    /// pending, or running under `owner` (any owner when nil) → a finished status; false when
    /// the job had already finished or another owner holds it now.
    func finish(
        id: String, status: JobStatus, result: JSONValue?, error: String?, message: String?, at date: Date, owner: String?
    ) async throws -> Bool
    /// Marks jobs left `running` by a previous process as failed; returns how many. Only for a
    /// store one process owns: shared stores recover through leases.
    func failInterrupted(message: String, at date: Date) async throws -> Int
    /// Deletes the oldest finished jobs beyond `keeping`; returns how many.
    func evictFinished(keeping: Int) async throws -> Int
    func countByStatus() async throws -> [JobStatus: Int]
}

/// How long a claim lasts without renewal, and what a job that outlived its runner says.
public enum JobLease {
    static let requeuedMessage = "requeued: the replica running it stopped renewing its lease"

    static func exhausted(_ attempts: Int) -> String {
        "gave up after \(attempts) attempt\(attempts == 1 ? "" : "s"): the replica running it stopped renewing its lease each time"
    }
}
