/// A type of background work a role registers with its `JobRunner`.
public struct JobKind: Sendable {
    public typealias Handler = @Sendable (JobExecution) async throws -> JSONValue

    public let name: String
    /// Other names clients may filter by (`preprocessing` for `preprocess`, as the services
    /// mlopsd replaces called their jobs). Records always carry `name`.
    public let aliases: [String]
    /// How many jobs of this kind may run at once (CPU-heavy work wants 1).
    public let maxConcurrent: Int
    let handler: Handler

    public init(name: String, aliases: [String] = [], maxConcurrent: Int = 1, handler: @escaping Handler) {
        precondition(maxConcurrent >= 1, "a job kind must allow at least one running job")
        self.name = name
        self.aliases = aliases
        self.maxConcurrent = maxConcurrent
        self.handler = handler
    }
}

/// Thrown by `JobExecution.checkCancellation()` when the job was cancelled through the API.
public struct JobCancelled: Error, Sendable {
    public init() {}
}

/// A failure whose message is meant for the job's caller (shown as the job's `error`).
public struct JobFailure: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// The handle a running job uses to read its parameters, report progress and notice cancellation.
public struct JobExecution: Sendable {
    public let job: Job
    let runner: JobRunner

    public var params: JSONValue { job.params }

    /// Cooperative cancellation point: throws `JobCancelled` after `POST …/cancel`, and
    /// `CancellationError` when the process is shutting down.
    public func checkCancellation() async throws {
        try Task.checkCancellation()
        if await runner.isCancelRequested(job.jobID) { throw JobCancelled() }
    }

    /// Records progress (clamped to 0…99; 100 is written on completion) and checks for cancellation.
    public func progress(_ percent: Int, _ message: String? = nil) async throws {
        try await checkCancellation()
        try await runner.store.updateProgress(id: job.jobID, progress: min(max(percent, 0), 99), message: message)
    }
}
