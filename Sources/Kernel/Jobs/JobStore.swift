import Foundation

/// Persistence for jobs. Transitions are conditional on the current status so concurrent
/// cancel/finish calls cannot overwrite each other.
public protocol JobStore: Sendable {
    func insert(_ job: Job) async throws
    func job(id: String) async throws -> Job?
    func list(_ query: JobQuery) async throws -> JobPage
    /// Oldest pending jobs of one type, first in first out.
    func pending(type: String, limit: Int) async throws -> [Job]
    /// pending → running; false when the job was no longer pending (e.g. cancelled meanwhile).
    func markRunning(id: String, at date: Date) async throws -> Bool
    func updateProgress(id: String, progress: Int, message: String?) async throws
    /// running|pending → a finished status; false when the job had already finished.
    func finish(id: String, status: JobStatus, result: JSONValue?, error: String?, message: String?, at date: Date) async throws -> Bool
    /// Marks jobs left `running` by a previous process as failed; returns how many.
    func failInterrupted(message: String, at date: Date) async throws -> Int
    /// Deletes the oldest finished jobs beyond `keeping`; returns how many.
    func evictFinished(keeping: Int) async throws -> Int
    func countByStatus() async throws -> [JobStatus: Int]
}
