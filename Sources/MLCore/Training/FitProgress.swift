import Synchronization

/// How far a training run is, shared between the fit (on a worker thread) and whoever reports
/// it (the train job's progress). Ensembles count their trees or rounds; a run with k-fold
/// cross-validation plans k + 1 fits.
public final class FitProgress: Sendable {
    private struct State {
        var plannedFits: Int
        var completedFits = 0
        var steps = 0
        var totalSteps = 0
        var stopRequested = false
    }

    private let state: Mutex<State>

    public init(plannedFits: Int = 1) {
        state = Mutex(State(plannedFits: max(plannedFits, 1)))
    }

    /// 0…1 over every planned fit.
    public var fraction: Double {
        state.withLock { state in
            let within = state.totalSteps > 0 ? Double(state.steps) / Double(state.totalSteps) : 0
            return min(1, (Double(state.completedFits) + within) / Double(state.plannedFits))
        }
    }

    /// Asks the fit to stop at its next tree or round: it then throws `FitStopped`.
    public func requestStop() {
        state.withLock { $0.stopRequested = true }
    }

    public var stopRequested: Bool {
        state.withLock { $0.stopRequested }
    }

    /// Throws once a stop was requested; ensembles call it before each tree or round.
    func checkStop() throws(FitStopped) {
        if stopRequested { throw FitStopped() }
    }

    public func plan(fits: Int) {
        state.withLock { $0.plannedFits = max(fits, 1) }
    }

    /// A fit of `steps` trees or rounds begins.
    func begin(steps: Int) {
        state.withLock { state in
            state.steps = 0
            state.totalSteps = steps
        }
    }

    func advance() {
        state.withLock { $0.steps += 1 }
    }

    /// One planned fit is done (whatever the model reported inside it).
    func completeFit() {
        state.withLock { state in
            state.completedFits += 1
            state.steps = 0
            state.totalSteps = 0
        }
    }
}

/// A fit ended early because `FitProgress.requestStop()` was called (a cancel, a time limit).
public struct FitStopped: Error, Sendable, CustomStringConvertible {
    public var description: String { "the fit was stopped before it finished" }
}
