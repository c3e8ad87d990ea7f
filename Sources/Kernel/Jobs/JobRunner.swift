import Foundation
import Logging
import ServiceLifecycle

/// Runs registered job kinds in the background of one role: FIFO per kind, a concurrency limit
/// per kind, cooperative cancellation, bounded history. It is a `Service`, so the application's
/// service group starts it and stops it on shutdown.
public actor JobRunner: Service {
    public let store: any JobStore
    private let kinds: [String: JobKind]
    private let historyLimit: Int
    private let logger: Logger
    private var running: [String: Int] = [:]
    private var cancelRequested: Set<String> = []
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    /// Creates the runner and settles what a previous process left behind: jobs still marked
    /// `running` died with it and become `failed`; `pending` jobs will run.
    public init(store: any JobStore, kinds: [JobKind], historyLimit: Int, logger: Logger) async throws {
        self.store = store
        self.kinds = Dictionary(kinds.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.historyLimit = historyLimit
        self.logger = logger
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let interrupted = try await store.failInterrupted(message: "interrupted by restart", at: Date())
        if interrupted > 0 {
            logger.warning("jobs interrupted by restart marked failed", metadata: ["count": "\(interrupted)"])
        }
        wake.yield()
    }

    public var jobTypes: [String] { kinds.keys.sorted() }

    /// Queues a job and returns it as stored (status `pending`).
    public func submit(type: String, params: JSONValue, createdBy: String) async throws -> Job {
        guard kinds[type] != nil else { throw APIError.validation(field: "job_type", problem: "unknown job type '\(type)'") }
        let job = Job(type: type, params: params, createdBy: createdBy)
        try await store.insert(job)
        wake.yield()
        return job
    }

    /// Cancels a pending job at once, or asks a running one to stop at its next checkpoint.
    public func cancel(id: String) async throws -> Job {
        guard let job = try await store.job(id: id) else { throw APIError.notFound("No job with id '\(id)'") }
        switch job.status {
        case .pending:
            if try await store.finish(id: id, status: .cancelled, result: nil, error: nil, message: "cancelled before start", at: Date()) {
                try await evict()
            } else {
                // It started meanwhile: fall through to a cooperative cancel.
                cancelRequested.insert(id)
            }
        case .running:
            cancelRequested.insert(id)
            try await store.updateProgress(id: id, progress: job.progress, message: "cancellation requested")
        case .completed, .failed, .cancelled:
            throw APIError(.conflict, code: "job_finished", message: "Job '\(id)' already finished with status \(job.status.rawValue)")
        }
        return try await store.job(id: id) ?? job
    }

    func isCancelRequested(_ id: String) -> Bool {
        cancelRequested.contains(id)
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            for await _ in wakeups.cancelOnGracefulShutdown() {
                await dispatch(into: &group)
            }
            group.cancelAll()
        }
    }

    private func dispatch(into group: inout DiscardingTaskGroup) async {
        for kind in kinds.values.sorted(by: { $0.name < $1.name }) {
            let capacity = kind.maxConcurrent - running[kind.name, default: 0]
            guard capacity > 0 else { continue }
            do {
                for job in try await store.pending(type: kind.name, limit: capacity) {
                    guard try await store.markRunning(id: job.jobID, at: Date()) else { continue }
                    running[kind.name, default: 0] += 1
                    var started = job
                    started.status = .running
                    group.addTask { await self.execute(started, kind: kind) }
                }
            } catch {
                logger.error("job dispatch failed", metadata: ["job_type": "\(kind.name)", "error": "\(error)"])
            }
        }
    }

    private nonisolated func execute(_ job: Job, kind: JobKind) async {
        let execution = JobExecution(job: job, runner: self)
        let outcome: (status: JobStatus, result: JSONValue?, error: String?, message: String)
        do {
            let result = try await kind.handler(execution)
            outcome = (.completed, result, nil, "completed")
        } catch is JobCancelled {
            outcome = (.cancelled, nil, nil, "cancelled")
        } catch is CancellationError {
            outcome = (.failed, nil, "interrupted by shutdown", "interrupted by shutdown")
        } catch {
            outcome = (.failed, nil, Self.describe(error), "failed")
        }
        do {
            _ = try await store.finish(
                id: job.jobID, status: outcome.status, result: outcome.result, error: outcome.error,
                message: outcome.message, at: Date()
            )
        } catch {
            logger.error("could not record job outcome", metadata: ["job_id": "\(job.jobID)", "error": "\(error)"])
        }
        logger.info("job finished", metadata: ["job_id": "\(job.jobID)", "job_type": "\(job.jobType)", "status": "\(outcome.status.rawValue)"])
        await finished(job, kind: kind)
    }

    private func finished(_ job: Job, kind: JobKind) async {
        running[kind.name, default: 1] -= 1
        cancelRequested.remove(job.jobID)
        do {
            try await evict()
        } catch {
            logger.error("job history eviction failed", metadata: ["error": "\(error)"])
        }
        wake.yield()
    }

    private func evict() async throws {
        let evicted = try await store.evictFinished(keeping: historyLimit)
        if evicted > 0 { logger.debug("evicted finished jobs", metadata: ["count": "\(evicted)"]) }
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case let failure as JobFailure: failure.description
        case let error as APIError: error.message
        case let error as any LocalizedError: error.errorDescription ?? "\(error)"
        default: "\(error)"
        }
    }
}
