import Foundation
import Logging
import ServiceLifecycle

/// Runs registered job kinds in the background of one role: FIFO per kind, a concurrency limit
/// per kind, cooperative cancellation, bounded history. It is a `Service`, so the application's
/// service group starts it and stops it on shutdown.
///
/// Every job it runs it holds under a lease that it renews while the job runs. With a store that
/// several replicas share, any of them claims any queued job, a cancel reaches the replica that
/// runs the job through the store, and a job whose replica died goes back to the queue when its
/// lease runs out (failing after `maxAttempts`).
public actor JobRunner: Service {
    /// Who else uses the store.
    public enum Sharing: Sendable {
        /// This process alone: jobs it finds running at start died with its previous run.
        case exclusive
        /// Replicas of the role: jobs are recovered through their leases.
        case shared
    }

    public let store: any JobStore
    private let kinds: [String: JobKind]
    /// Every name a kind answers to, its aliases included, to the kind's own name.
    private let kindNames: [String: String]
    private let historyLimit: Int
    private let logger: Logger
    private let sharing: Sharing
    /// This runner, as the owner of the jobs it claims.
    public nonisolated let owner: String
    private let lease: Duration
    private let maxAttempts: Int
    private let pollInterval: Duration
    private var running: [String: Int] = [:]
    private var held: Set<String> = []
    private var cancelRequested: Set<String> = []
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    /// Creates the runner; with an exclusive store it settles what a previous process left
    /// behind: jobs still marked `running` died with it and become `failed`; `pending` jobs will run.
    public init(
        store: any JobStore, kinds: [JobKind], historyLimit: Int, logger: Logger, sharing: Sharing = .exclusive,
        lease: Duration = .seconds(60), maxAttempts: Int = 3, pollInterval: Duration? = nil
    ) async throws {
        self.store = store
        self.kinds = Dictionary(kinds.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        self.kindNames = Dictionary(
            kinds.flatMap { kind in ([kind.name] + kind.aliases).map { ($0, kind.name) } }, uniquingKeysWith: { first, _ in first })
        self.historyLimit = historyLimit
        self.logger = logger
        self.sharing = sharing
        self.owner = "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)/\(UUID().uuidString.prefix(8).lowercased())"
        self.lease = lease
        self.maxAttempts = maxAttempts
        // Alone, a submission wakes the runner itself and the poll only guards against a stall;
        // replicas learn of each other's submissions by polling.
        self.pollInterval = pollInterval ?? .seconds(sharing == .shared ? 1 : 5)
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        if sharing == .exclusive {
            let interrupted = try await store.failInterrupted(message: "interrupted by restart", at: Date())
            if interrupted > 0 {
                logger.warning("jobs interrupted by restart marked failed", metadata: ["count": "\(interrupted)"])
            }
        }
        wake.yield()
    }

    /// Why the runner refused a request about a job; the HTTP edge gives each its status.
    public enum Refusal: Error, Equatable, CustomStringConvertible {
        case unknownType(String)
        case notFound(id: String)
        case alreadyFinished(id: String, status: JobStatus)

        public var description: String {
            switch self {
            case .unknownType(let type): "unknown job type '\(type)'"
            case .notFound(let id): "No job with id '\(id)'"
            case .alreadyFinished(let id, let status): "Job '\(id)' already finished with status \(status.rawValue)"
            }
        }
    }

    /// Queues a job and returns it as stored (status `pending`).
    /// The kind a name or alias stands for (`preprocessing` → `preprocess`); unknown names as given.
    public nonisolated func kindName(for name: String) -> String {
        kindNames[name] ?? name
    }

    public func submit(type: String, params: JSONValue, createdBy: String) async throws -> Job {
        guard kinds[type] != nil else { throw Refusal.unknownType(type) }
        let job = Job(type: type, params: params, createdBy: createdBy)
        try await store.insert(job)
        wake.yield()
        return job
    }

    /// Cancels a pending job at once, or asks a running one (on any replica) to stop at its next
    /// checkpoint.
    public func cancel(id: String) async throws -> Job {
        guard let job = try await store.job(id: id) else { throw Refusal.notFound(id: id) }
        switch job.status {
        case .pending:
            if try await store.finish(id: id, status: .cancelled, result: nil, error: nil, message: "cancelled before start", at: Date(), owner: nil) {
                try await evict()
            } else {
                // It started meanwhile: fall through to a cooperative cancel.
                try await requestCancel(id)
            }
        case .running:
            try await requestCancel(id)
        case .completed, .failed, .cancelled:
            throw Refusal.alreadyFinished(id: id, status: job.status)
        }
        return try await store.job(id: id) ?? job
    }

    /// Recorded in the store for whichever replica runs the job (it learns of it when it renews
    /// its lease), and noted at once when it is this one.
    private func requestCancel(_ id: String) async throws {
        _ = try await store.requestCancel(id: id)
        if held.contains(id) { cancelRequested.insert(id) }
    }

    func isCancelRequested(_ id: String) -> Bool {
        cancelRequested.contains(id)
    }

    public func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await self.keepTime() }
            for await _ in wakeups.cancelOnGracefulShutdown() {
                await dispatch(into: &group)
            }
            group.cancelAll()
        }
    }

    /// Looks for work every poll interval (replicas queue jobs this one hears nothing of, and a
    /// dispatch that failed is retried), and renews leases several times per lease.
    private nonisolated func keepTime() async {
        let clock = ContinuousClock()
        var lastRenewal = clock.now
        while !Task.isCancelled {
            do {
                try await clock.sleep(for: pollInterval)
            } catch {
                return
            }
            if clock.now - lastRenewal >= lease / 6 {
                lastRenewal = clock.now
                await renewLeases()
            }
            wake.yield()
        }
    }

    private func renewLeases() async {
        do {
            let cancels = try await store.renewLeases(ids: Array(held), owner: owner, until: Date().addingTimeInterval(lease.seconds))
            cancelRequested.formUnion(cancels)
            guard sharing == .shared else { return }
            let (requeued, failed) = try await store.requeueExpired(at: Date(), maxAttempts: maxAttempts)
            if requeued + failed > 0 {
                logger.warning("jobs whose replica stopped renewing its lease", metadata: ["requeued": "\(requeued)", "failed": "\(failed)"])
            }
        } catch {
            logger.error("job leases not renewed", metadata: ["error": "\(error)"])
        }
    }

    private func dispatch(into group: inout DiscardingTaskGroup) async {
        for kind in kinds.values.sorted(by: { $0.name < $1.name }) {
            let capacity = kind.maxConcurrent - running[kind.name, default: 0]
            guard capacity > 0 else { continue }
            do {
                let now = Date()
                let claimed = try await store.claim(
                    type: kind.name, limit: capacity, owner: owner, at: now, leaseUntil: now.addingTimeInterval(lease.seconds)
                )
                for job in claimed {
                    running[kind.name, default: 0] += 1
                    held.insert(job.jobID)
                    group.addTask { await self.execute(job, kind: kind) }
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
        await record(job, outcome)
        logger.info("job finished", metadata: ["job_id": "\(job.jobID)", "job_type": "\(job.jobType)", "status": "\(outcome.status.rawValue)"])
        await finished(job, kind: kind)
    }

    /// Stores a job's outcome, retrying with growing pauses when the store fails (a database
    /// restarting, a full disk freeing up): a job must not stay `running` because one write failed.
    /// The lease is renewed meanwhile; after the last try it lapses and, with replicas, the job
    /// is run again.
    private nonisolated func record(_ job: Job, _ outcome: (status: JobStatus, result: JSONValue?, error: String?, message: String)) async {
        var pause = Duration.milliseconds(250)
        for attempt in 1...Self.recordAttempts {
            do {
                let recorded = try await store.finish(
                    id: job.jobID, status: outcome.status, result: outcome.result, error: outcome.error,
                    message: outcome.message, at: Date(), owner: owner
                )
                if !recorded {
                    logger.warning("job outcome not recorded: the job is no longer this replica's", metadata: ["job_id": "\(job.jobID)"])
                }
                return
            } catch {
                logger.error(
                    "could not record job outcome",
                    metadata: [
                        "job_id": "\(job.jobID)", "attempt": "\(attempt)", "error": "\(error)",
                    ])
                guard attempt < Self.recordAttempts else { return }
                try? await Task.sleep(for: pause)
                pause *= 2
            }
        }
    }

    /// 0.25 + 0.5 + … + 16 s: about half a minute of trying.
    static let recordAttempts = 8

    private func finished(_ job: Job, kind: JobKind) async {
        running[kind.name, default: 1] -= 1
        held.remove(job.jobID)
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
