import Foundation
import GRDB
import Kernel
import Logging
import MLOpsTesting
import Synchronization
import Testing

/// A latch the tests open to let blocked jobs continue. Waiting polls so that a cancelled
/// job (or a failed test tearing down) is never stuck behind a closed gate.
actor Gate {
    private var isOpen = false

    func wait() async throws {
        while !isOpen { try await Task.sleep(for: .milliseconds(2)) }
    }

    func open() {
        isOpen = true
    }
}

/// A job kind defined for the tests: `steps` progress reports, each waiting on the gate,
/// then a result; `fail: true` makes it throw.
func countingKind(gate: Gate, maxConcurrent: Int = 1) -> JobKind {
    JobKind(name: "count", aliases: ["counting"], maxConcurrent: maxConcurrent) { execution in
        let steps = execution.params["steps"]?.intValue ?? 3
        for step in 0..<steps {
            try await execution.progress(step * 100 / steps, "step \(step + 1) of \(steps)")
            try await gate.wait()
        }
        try await execution.checkCancellation()
        if execution.params["fail"] == .bool(true) { throw JobFailure("asked to fail") }
        return .object(["steps": .number(Double(steps))])
    }
}

func openJobDatabase(_ directory: URL) throws -> AppDatabase {
    try AppDatabase.open(stateDirectory: directory.path, name: "jobs", migrations: SQLiteJobStore.registerMigrations)
}

/// Polls the store until the job satisfies `condition` (jobs run on their own schedule).
func waitFor(_ store: any JobStore, _ id: String, _ condition: (Job) -> Bool) async throws -> Job {
    for _ in 0..<500 {
        if let job = try await store.job(id: id), condition(job) { return job }
        try await Task.sleep(for: .milliseconds(10))
    }
    let job = try await store.job(id: id)
    Issue.record("job \(id) never reached the expected state; last: \(String(describing: job))")
    throw CancellationError()
}

func withRunner<T: Sendable>(
    _ runner: JobRunner,
    _ body: @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await runner.run() }
        defer { group.cancelAll() }
        return try await body()
    }
}

@Suite struct JobRunnerTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jobs-\(UUID().uuidString)")
    let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    @Test func runsAJobToCompletionWithProgress() async throws {
        let store = SQLiteJobStore(database: try openJobDatabase(directory))
        let gate = Gate()
        let runner = try await JobRunner(store: store, kinds: [countingKind(gate: gate)], historyLimit: 10, logger: logger)
        try await withRunner(runner) {
            let job = try await runner.submit(type: "count", params: ["steps": 4], createdBy: "admin")
            #expect(job.status == .pending)
            let running = try await waitFor(store, job.jobID) { $0.status == .running && $0.message == "step 1 of 4" }
            #expect(running.startedAt != nil)
            await gate.open()
            let done = try await waitFor(store, job.jobID) { $0.status.isFinished }
            #expect(done.status == .completed)
            #expect(done.progress == 100)
            #expect(done.result == ["steps": 4])
            #expect(done.createdBy == "admin")
            #expect(done.completedAt != nil)
        }
    }

    @Test func failuresAreRecordedWithTheirMessage() async throws {
        let store = SQLiteJobStore(database: try openJobDatabase(directory))
        let gate = Gate()
        await gate.open()
        let runner = try await JobRunner(store: store, kinds: [countingKind(gate: gate)], historyLimit: 10, logger: logger)
        try await withRunner(runner) {
            let job = try await runner.submit(type: "count", params: ["steps": 1, "fail": true], createdBy: "admin")
            let failed = try await waitFor(store, job.jobID) { $0.status.isFinished }
            #expect(failed.status == .failed)
            #expect(failed.error == "asked to fail")
        }
    }

    @Test func cancelsPendingAndRunningJobs() async throws {
        let store = SQLiteJobStore(database: try openJobDatabase(directory))
        let gate = Gate()
        let runner = try await JobRunner(store: store, kinds: [countingKind(gate: gate)], historyLimit: 10, logger: logger)
        try await withRunner(runner) {
            let first = try await runner.submit(type: "count", params: ["steps": 2], createdBy: "admin")
            let second = try await runner.submit(type: "count", params: ["steps": 2], createdBy: "admin")
            _ = try await waitFor(store, first.jobID) { $0.status == .running }
            // One at a time: the second waits its turn and is cancelled before it starts.
            #expect(try await store.job(id: second.jobID)?.status == .pending)
            let cancelledPending = try await runner.cancel(id: second.jobID)
            #expect(cancelledPending.status == .cancelled)
            #expect(cancelledPending.startedAt == nil)

            let requested = try await runner.cancel(id: first.jobID)
            #expect(requested.status == .running)
            #expect(requested.message == "cancellation requested")
            await gate.open()
            let cancelled = try await waitFor(store, first.jobID) { $0.status.isFinished }
            #expect(cancelled.status == .cancelled)

            await #expect(throws: JobRunner.Refusal.alreadyFinished(id: first.jobID, status: .cancelled)) { try await runner.cancel(id: first.jobID) }
            await #expect(throws: JobRunner.Refusal.notFound(id: "no-such-job")) { try await runner.cancel(id: "no-such-job") }
        }
    }

    @Test func respectsThePerKindConcurrencyLimit() async throws {
        let store = SQLiteJobStore(database: try openJobDatabase(directory))
        let gate = Gate()
        let runner = try await JobRunner(
            store: store, kinds: [countingKind(gate: gate, maxConcurrent: 2)], historyLimit: 10, logger: logger
        )
        try await withRunner(runner) {
            var ids: [String] = []
            for _ in 0..<3 { ids.append(try await runner.submit(type: "count", params: ["steps": 1], createdBy: "admin").jobID) }
            _ = try await waitFor(store, ids[1]) { $0.status == .running }
            try await Task.sleep(for: .milliseconds(50))
            #expect(try await store.countByStatus()[.running] == 2)
            #expect(try await store.job(id: ids[2])?.status == .pending)
            await gate.open()
            for id in ids { #expect(try await waitFor(store, id) { $0.status.isFinished }.status == .completed) }
        }
    }

    @Test func evictsTheOldestFinishedJobsBeyondTheHistoryLimit() async throws {
        let store = SQLiteJobStore(database: try openJobDatabase(directory))
        let gate = Gate()
        await gate.open()
        let runner = try await JobRunner(store: store, kinds: [countingKind(gate: gate)], historyLimit: 2, logger: logger)
        try await withRunner(runner) {
            var ids: [String] = []
            for _ in 0..<4 {
                let job = try await runner.submit(type: "count", params: ["steps": 1], createdBy: "admin")
                _ = try await waitFor(store, job.jobID) { $0.status.isFinished }
                ids.append(job.jobID)
            }
            // Eviction follows the final status write; give it a moment.
            var remaining = try await store.list(JobQuery()).jobs.map(\.jobID)
            for _ in 0..<200 where remaining.count > 2 {
                try await Task.sleep(for: .milliseconds(10))
                remaining = try await store.list(JobQuery()).jobs.map(\.jobID)
            }
            #expect(remaining == [ids[3], ids[2]])
        }
    }

    @Test func recoversFromARestart() async throws {
        let database = try openJobDatabase(directory)
        let store = SQLiteJobStore(database: database)
        // State a crashed process would leave: one job mid-run, one queued.
        var interrupted = Job(type: "count", params: ["steps": 1], createdBy: "admin")
        interrupted.status = .running
        interrupted.startedAt = Date()
        try await store.insert(interrupted)
        let queued = Job(type: "count", params: ["steps": 1], createdBy: "admin")
        try await store.insert(queued)

        let gate = Gate()
        await gate.open()
        let runner = try await JobRunner(
            store: SQLiteJobStore(database: try openJobDatabase(directory)), kinds: [countingKind(gate: gate)], historyLimit: 10, logger: logger)
        let failed = try #require(try await store.job(id: interrupted.jobID))
        #expect(failed.status == .failed)
        #expect(failed.error == "interrupted by restart")
        let finished = try await withRunner(runner) {
            try await waitFor(store, queued.jobID) { $0.status.isFinished }
        }
        #expect(finished.status == .completed)
    }

    @Test func listsWithFiltersAndPaging() async throws {
        let store = SQLiteJobStore(database: try openJobDatabase(directory))
        for index in 0..<5 {
            var job = Job(type: index.isMultiple(of: 2) ? "even" : "odd", params: .null, createdBy: "admin")
            if index == 0 { job.status = .failed }
            try await store.insert(job)
        }
        let even = try await store.list(JobQuery(type: "even"))
        #expect(even.total == 3)
        let page = try await store.list(JobQuery(limit: 2, offset: 1))
        #expect(page.total == 5)
        #expect(page.jobs.count == 2)
        #expect(try await store.list(JobQuery(status: .failed)).total == 1)
    }

    @Test func unknownJobTypesAreRejected() async throws {
        let store = SQLiteJobStore(database: try openJobDatabase(directory))
        let runner = try await JobRunner(store: store, kinds: [countingKind(gate: Gate())], historyLimit: 10, logger: logger)
        await #expect(throws: JobRunner.Refusal.unknownType("nope")) { try await runner.submit(type: "nope", params: .null, createdBy: "admin") }
    }
}

/// A real store whose first `failures` outcome writes fail, as a database restarting would.
final class StoreFailingToFinish: JobStore {
    let store: any JobStore
    private let remaining: Mutex<Int>

    init(_ store: any JobStore, failures: Int) {
        self.store = store
        self.remaining = Mutex(failures)
    }

    var failuresLeft: Int { remaining.withLock { $0 } }

    func finish(
        id: String, status: JobStatus, result: JSONValue?, error: String?, message: String?, at date: Date, owner: String?
    ) async throws -> Bool {
        let fail = remaining.withLock { left in
            defer { left = max(0, left - 1) }
            return left > 0
        }
        if fail { throw JobFailure("the database is restarting") }
        return try await store.finish(id: id, status: status, result: result, error: error, message: message, at: date, owner: owner)
    }

    func insert(_ job: Job) async throws { try await store.insert(job) }
    func job(id: String) async throws -> Job? { try await store.job(id: id) }
    func list(_ query: JobQuery) async throws -> JobPage { try await store.list(query) }
    func claim(type: String, limit: Int, owner: String, at date: Date, leaseUntil: Date) async throws -> [Job] {
        try await store.claim(type: type, limit: limit, owner: owner, at: date, leaseUntil: leaseUntil)
    }
    func renewLeases(ids: [String], owner: String, until: Date) async throws -> Set<String> {
        try await store.renewLeases(ids: ids, owner: owner, until: until)
    }
    func requestCancel(id: String) async throws -> Bool { try await store.requestCancel(id: id) }
    func requeueExpired(at date: Date, maxAttempts: Int) async throws -> (requeued: Int, failed: Int) {
        try await store.requeueExpired(at: date, maxAttempts: maxAttempts)
    }
    func updateProgress(id: String, progress: Int, message: String?) async throws {
        try await store.updateProgress(id: id, progress: progress, message: message)
    }
    func failInterrupted(message: String, at date: Date) async throws -> Int { try await store.failInterrupted(message: message, at: date) }
    func evictFinished(keeping: Int) async throws -> Int { try await store.evictFinished(keeping: keeping) }
    func countByStatus() async throws -> [JobStatus: Int] { try await store.countByStatus() }
}

@Suite struct JobOutcomeRetryTests {
    /// The outcome write fails twice; the runner tries again and the job ends `completed`
    /// instead of staying `running` until a restart.
    @Test func aFailedOutcomeWriteIsRetried() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jobs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = StoreFailingToFinish(SQLiteJobStore(database: try openJobDatabase(directory)), failures: 2)
        let gate = Gate()
        await gate.open()
        let runner = try await JobRunner(
            store: store, kinds: [countingKind(gate: gate)], historyLimit: 10, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        )
        try await withRunner(runner) {
            let job = try await runner.submit(type: "count", params: ["steps": 1], createdBy: "admin")
            let done = try await waitFor(store, job.jobID) { $0.status.isFinished }
            #expect(done.status == .completed)
            #expect(store.failuresLeft == 0)
        }
    }
}
