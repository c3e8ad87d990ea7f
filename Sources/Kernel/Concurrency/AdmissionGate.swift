/// Admits at most `running` operations at once and lets at most `waiting` more queue for a turn;
/// beyond that it refuses at once, so a flood turns into quick refusals instead of an unbounded
/// queue in front of a shared thread pool.
public actor AdmissionGate {
    public struct Full: Error {}

    private let capacity: Int
    private let queueCapacity: Int
    private var running = 0
    /// Short (bounded by `waiting`), so removing from the front costs nothing worth a deque.
    private var waiters: [CheckedContinuation<Void, Never>] = []

    public init(running: Int, waiting: Int) {
        self.capacity = max(1, running)
        self.queueCapacity = max(0, waiting)
    }

    /// Callers queued for a turn now.
    public var waitingCount: Int { waiters.count }

    public func run<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        if running < capacity {
            running += 1
        } else {
            guard waiters.count < queueCapacity else { throw Full() }
            // The finishing operation hands its turn over, so `running` stays as it is.
            await withCheckedContinuation { waiters.append($0) }
        }
        defer { handOver() }
        return try await body()
    }

    private func handOver() {
        if !waiters.isEmpty {
            waiters.removeFirst().resume()
        } else {
            running -= 1
        }
    }
}
