import Foundation
import Kernel
import Logging
import MLOpsTesting
import Testing

/// The behaviour every `JobStore` owes the runner, on SQLite and (when configured) PostgreSQL.
extension StoreBackend {
    /// A fresh, empty job store for one test, handed to `body` while its database runs.
    func withJobStore(_ body: (any JobStore) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            try await Self.withSQLite(migrations: SQLiteJobStore.registerMigrations) { database in
                try await body(SQLiteJobStore(database: database))
            }
        case .postgres:
            try await Self.withPostgres(migrations: PostgresJobStore.migrations) { database, logger in
                try await body(PostgresJobStore(database: database, role: "train", logger: logger))
            }
        }
    }
}

@Suite struct JobStoreContractTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func job(_ type: String, at offset: TimeInterval = 0, params: JSONValue = .object(["n": .number(1)])) -> Job {
        Job(type: type, params: params, createdBy: "alice", now: now.addingTimeInterval(offset))
    }

    func claim(_ store: any JobStore, _ type: String = "train", limit: Int = 1, owner: String = "a", leaseSeconds: TimeInterval = 60)
        async throws -> [Job]
    {
        try await store.claim(type: type, limit: limit, owner: owner, at: now, leaseUntil: now.addingTimeInterval(leaseSeconds))
    }

    func finish(_ store: any JobStore, _ id: String, _ status: JobStatus, owner: String? = nil, error: String? = nil) async throws -> Bool {
        try await store.finish(id: id, status: status, result: nil, error: error, message: nil, at: now, owner: owner)
    }

    @Test(arguments: StoreBackend.available)
    func storesAndReadsBackEveryField(_ backend: StoreBackend) async throws {
        try await backend.withJobStore { store in
            let queued = job("train", params: .object(["models": .array([.string("café"), .null]), "k": .number(2.5)]))
            try await store.insert(queued)
            #expect(try await store.job(id: queued.jobID) == queued)
            #expect(try await store.job(id: "missing") == nil)

            let claimed = try await store.claim(type: "train", limit: 1, owner: "a", at: now.addingTimeInterval(1), leaseUntil: now.addingTimeInterval(61))
            #expect(claimed.map(\.jobID) == [queued.jobID])
            #expect(claimed.first?.status == .running)
            #expect(claimed.first?.startedAt == now.addingTimeInterval(1))
            try await store.updateProgress(id: queued.jobID, progress: 40, message: "fitting")
            #expect(try await store.job(id: queued.jobID)?.message == "fitting")
            let result = JSONValue.object(["leaderboard": .array([.object(["f1": .number(0.37)])])])
            #expect(
                try await store.finish(
                    id: queued.jobID, status: .completed, result: result, error: nil, message: "done", at: now.addingTimeInterval(2), owner: "a"))
            let finished = try #require(try await store.job(id: queued.jobID))
            #expect(finished.status == .completed)
            #expect(finished.progress == 100)
            #expect(finished.message == "done")
            #expect(finished.result == result)
            #expect(finished.startedAt == now.addingTimeInterval(1))
            #expect(finished.completedAt == now.addingTimeInterval(2))
        }
    }

    @Test(arguments: StoreBackend.available)
    func transitionsHappenOnceFromTheRightStatus(_ backend: StoreBackend) async throws {
        try await backend.withJobStore { store in
            let first = job("train")
            try await store.insert(first)
            #expect(try await claim(store).count == 1)
            #expect(try await claim(store, owner: "b").isEmpty, "running already")
            #expect(try await finish(store, first.jobID, .cancelled, owner: "a"))
            #expect(try await !finish(store, first.jobID, .completed), "finished already")
            try await store.updateProgress(id: first.jobID, progress: 80, message: "late")
            let cancelled = try #require(try await store.job(id: first.jobID))
            #expect(cancelled.status == .cancelled)
            #expect(cancelled.progress == 0, "progress of a finished job does not move")

            let pending = job("train", at: 1)
            try await store.insert(pending)
            #expect(try await finish(store, pending.jobID, .cancelled))
            #expect(try await claim(store).isEmpty, "a cancelled job never starts")
        }
    }

    @Test(arguments: StoreBackend.available)
    func claimsTheOldestPendingJobsOfOneType(_ backend: StoreBackend) async throws {
        try await backend.withJobStore { store in
            let jobs = [job("train", at: 0), job("preprocess", at: 1), job("train", at: 2), job("train", at: 3)]
            for job in jobs { try await store.insert(job) }
            #expect(try await claim(store).map(\.jobID) == [jobs[0].jobID])
            #expect(try await claim(store, limit: 5).map(\.jobID) == [jobs[2].jobID, jobs[3].jobID])
            #expect(try await claim(store, "preprocess", limit: 5).map(\.jobID) == [jobs[1].jobID])
            #expect(try await claim(store, limit: 5).isEmpty)
        }
    }

    /// Replicas claiming at the same moment share the queue out: no job twice, none left over.
    @Test(arguments: StoreBackend.available)
    func concurrentClaimsNeverTakeTheSameJob(_ backend: StoreBackend) async throws {
        try await backend.withJobStore { store in
            let jobs = (0..<20).map { job("train", at: TimeInterval($0)) }
            for job in jobs { try await store.insert(job) }
            let claims = try await withThrowingTaskGroup(of: [String].self) { group in
                for replica in 0..<4 {
                    group.addTask {
                        var mine: [String] = []
                        while let next = try await store.claim(
                            type: "train", limit: 2, owner: "replica-\(replica)", at: now, leaseUntil: now.addingTimeInterval(60)
                        ).nonEmpty {
                            mine += next.map(\.jobID)
                        }
                        return mine
                    }
                }
                return try await group.reduce(into: [[String]]()) { $0.append($1) }
            }
            let all = claims.flatMap { $0 }
            #expect(all.count == jobs.count)
            #expect(Set(all) == Set(jobs.map(\.jobID)))
        }
    }

    @Test(arguments: StoreBackend.available)
    func leasesAreRenewedByTheirOwnerAndCarryCancellation(_ backend: StoreBackend) async throws {
        try await backend.withJobStore { store in
            let jobs = [job("train", at: 0), job("train", at: 1)]
            for job in jobs { try await store.insert(job) }
            _ = try await claim(store, limit: 2, owner: "a", leaseSeconds: 10)
            #expect(try await store.requestCancel(id: jobs[1].jobID))
            #expect(try await store.job(id: jobs[1].jobID)?.message == "cancellation requested")
            let ids = jobs.map(\.jobID)
            #expect(try await store.renewLeases(ids: ids, owner: "a", until: now.addingTimeInterval(100)) == [jobs[1].jobID])
            #expect(try await store.renewLeases(ids: ids, owner: "b", until: now.addingTimeInterval(100)).isEmpty, "not b's jobs")
            // Renewed to now+100: nothing has expired at now+50.
            #expect(try await store.requeueExpired(at: now.addingTimeInterval(50), maxAttempts: 3) == (0, 0))
            #expect(try await !store.requestCancel(id: "missing"))
        }
    }

    /// A replica that dies holding a job: the job returns to the queue when the lease runs out,
    /// the dead replica can no longer record an outcome, and after the last attempt it fails.
    @Test(arguments: StoreBackend.available)
    func expiredLeasesRequeueUntilTheLastAttempt(_ backend: StoreBackend) async throws {
        try await backend.withJobStore { store in
            let lost = job("train")
            try await store.insert(lost)
            _ = try await claim(store, owner: "dead", leaseSeconds: 10)
            #expect(try await store.requeueExpired(at: now.addingTimeInterval(5), maxAttempts: 2) == (0, 0), "lease still valid")
            #expect(try await store.requeueExpired(at: now.addingTimeInterval(11), maxAttempts: 2) == (1, 0))
            let requeued = try #require(try await store.job(id: lost.jobID))
            #expect(requeued.status == .pending)
            #expect(requeued.message?.hasPrefix("requeued") == true)

            #expect(try await claim(store, owner: "alive", leaseSeconds: 10).map(\.jobID) == [lost.jobID])
            #expect(try await !finish(store, lost.jobID, .completed, owner: "dead"), "the dead replica's late outcome is refused")
            #expect(try await store.requeueExpired(at: now.addingTimeInterval(11), maxAttempts: 2) == (0, 1), "second attempt was the last")
            let failed = try #require(try await store.job(id: lost.jobID))
            #expect(failed.status == .failed)
            #expect(failed.error?.contains("2 attempts") == true, "\(failed.error ?? "")")

            // A job whose cancellation was requested is cancelled, not retried.
            let cancelled = job("train", at: 1)
            try await store.insert(cancelled)
            _ = try await claim(store, owner: "dead", leaseSeconds: 10)
            #expect(try await store.requestCancel(id: cancelled.jobID))
            _ = try await store.requeueExpired(at: now.addingTimeInterval(11), maxAttempts: 2)
            #expect(try await store.job(id: cancelled.jobID)?.status == .cancelled)
        }
    }

    @Test(arguments: StoreBackend.available)
    func listsNewestFirstWithFiltersAndPaging(_ backend: StoreBackend) async throws {
        try await backend.withJobStore { store in
            let jobs = (0..<5).map { job($0 % 2 == 0 ? "train" : "preprocess", at: TimeInterval($0)) }
            for job in jobs { try await store.insert(job) }
            #expect(try await finish(store, jobs[4].jobID, .failed, error: "boom"))

            let all = try await store.list(JobQuery(limit: 2, offset: 1))
            #expect(all.total == 5)
            #expect(all.jobs.map(\.jobID) == [jobs[3].jobID, jobs[2].jobID])
            let trains = try await store.list(JobQuery(type: "train"))
            #expect(trains.total == 3)
            #expect(trains.jobs.map(\.jobID) == [jobs[4].jobID, jobs[2].jobID, jobs[0].jobID])
            let failed = try await store.list(JobQuery(status: .failed, type: "train"))
            #expect(failed.jobs.map(\.jobID) == [jobs[4].jobID])
            #expect(try await store.list(JobQuery(status: .failed, type: "preprocess")).total == 0)
            #expect(try await store.countByStatus() == [.pending: 4, .failed: 1])
        }
    }

    @Test(arguments: StoreBackend.available)
    func interruptedJobsFailAndOldFinishedOnesAreEvicted(_ backend: StoreBackend) async throws {
        try await backend.withJobStore { store in
            let jobs = (0..<6).map { job("train", at: TimeInterval($0)) }
            for job in jobs { try await store.insert(job) }
            for job in jobs.prefix(4) {
                #expect(try await finish(store, job.jobID, .completed))
            }
            #expect(try await claim(store).map(\.jobID) == [jobs[4].jobID])
            #expect(try await store.failInterrupted(message: "interrupted by restart", at: now) == 1)
            #expect(try await store.job(id: jobs[4].jobID)?.error == "interrupted by restart")
            #expect(try await store.job(id: jobs[5].jobID)?.status == .pending, "pending jobs wait for the next runner")

            // Five finished (four completed, one failed): keeping two removes the three oldest.
            #expect(try await store.evictFinished(keeping: 2) == 3)
            let left = try await store.list(JobQuery()).jobs.map(\.jobID)
            #expect(left == [jobs[5].jobID, jobs[4].jobID, jobs[3].jobID])
        }
    }
}

extension Array {
    /// Nil when empty, for `while let` loops that drain a queue.
    var nonEmpty: Self? { isEmpty ? nil : self }
}

/// Runners of two replicas on one shared PostgreSQL store.
@Suite(.enabled(if: StoreBackend.databaseURL != nil, "set MLOPSD_TEST_DATABASE_URL to share a queue in PostgreSQL"))
struct SharedJobQueueTests {
    actor RunLog {
        var runs: [(replica: String, job: String)] = []
        func record(_ replica: String, _ job: String) { runs.append((replica, job)) }
    }

    var logger: Logger {
        var logger = Logger(label: "shared-queue")
        logger.logLevel = .error
        return logger
    }

    func replica(_ name: String, store: any JobStore, log: RunLog, work: Duration = .milliseconds(50)) async throws -> JobRunner {
        let kind = JobKind(name: "work") { execution in
            await log.record(name, execution.job.jobID)
            let clock = ContinuousClock()
            let end = clock.now + work
            while clock.now < end {
                try await execution.checkCancellation()
                try await clock.sleep(for: .milliseconds(20))
            }
            return .null
        }
        return try await JobRunner(
            store: store, kinds: [kind], historyLimit: 100, logger: logger, sharing: .shared, lease: .seconds(2),
            pollInterval: .milliseconds(50)
        )
    }

    func waitUntil(_ store: any JobStore, _ done: @escaping ([JobStatus: Int]) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            if done(try await store.countByStatus()) { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("jobs did not settle: \(try await store.countByStatus())")
    }

    @Test func twoReplicasShareTheQueueAndTakeOverADeadOnesJob() async throws {
        try await StoreBackend.postgres.withJobStore { store in
            // A job a replica that died was running: its lease ran out a minute ago.
            let orphan = Job(type: "work", params: .null, createdBy: "alice", now: Date().addingTimeInterval(-120))
            try await store.insert(orphan)
            _ = try await store.claim(type: "work", limit: 1, owner: "dead", at: Date().addingTimeInterval(-120), leaseUntil: Date().addingTimeInterval(-60))

            let log = RunLog()
            let a = try await replica("a", store: store, log: log)
            let b = try await replica("b", store: store, log: log)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await a.run() }
                group.addTask { try await b.run() }
                for _ in 0..<8 {
                    _ = try await a.submit(type: "work", params: .null, createdBy: "alice")
                }
                try await waitUntil(store) { $0[.completed] == 9 }
                group.cancelAll()
            }
            let runs = await log.runs
            #expect(Set(runs.map(\.replica)) == ["a", "b"], "both replicas ran jobs: \(runs.map(\.replica))")
            #expect(runs.count == 9, "every job ran once")
            #expect(Set(runs.map(\.job)).count == 9)
            #expect(runs.contains { $0.job == orphan.jobID })
        }
    }

    @Test func aCancelReachesTheReplicaRunningTheJob() async throws {
        try await StoreBackend.postgres.withJobStore { store in
            let log = RunLog()
            let runner = try await replica("a", store: store, log: log, work: .seconds(20))
            let other = try await replica("b", store: store, log: log)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await runner.run() }
                let job = try await runner.submit(type: "work", params: .null, createdBy: "alice")
                try await waitUntil(store) { $0[.running] == 1 }
                // Cancelled through a replica that is not running it.
                #expect(try await other.cancel(id: job.jobID).status == .running)
                try await waitUntil(store) { $0[.cancelled] == 1 }
                group.cancelAll()
            }
        }
    }
}
