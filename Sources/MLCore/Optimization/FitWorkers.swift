import Dispatch
import Foundation
import Synchronization

/// Helper threads kept ready for the length of one fit, for parallel work too small to pay a
/// dispatch each time: a boosting round builds dozens of leaf histograms of a few thousand rows,
/// and waking a dispatch worker for each cost more than it saved. The helpers start at the first
/// `run`; between parts they spin a few milliseconds, yielding now and then, then sleep on a
/// semaphore, so a pause or a fit that never needs them costs nothing.
final class FitWorkers: Sendable {
    /// Parts one call splits its work into: the calling thread does part 0, each helper one more.
    let parts: Int
    private let state: State
    private let started = Atomic<Bool>(false)

    init(parts: Int = Parallel.cores) {
        self.parts = min(max(1, parts), Int.bitWidth - 1)
        state = State(parts: self.parts)
    }

    deinit {
        finish()
    }

    /// Runs `body(part)` for every part, the caller's thread taking part 0; returns when all are
    /// done. One call at a time, never from inside a part.
    func run(_ body: @Sendable (Int) -> Void) {
        guard parts > 1 else { return body(0) }
        if !started.exchange(true, ordering: .acquiringAndReleasing) {
            for helper in 1..<parts {
                // The helpers hold the state, not the workers: dropping the workers stops them.
                let thread = Thread { [state] in state.serve(helper) }
                thread.stackSize = 1 << 20
                thread.start()
            }
        }
        state.run(body)
    }

    /// Stops the helpers (waiting for them); the workers cannot be used afterwards.
    func finish() {
        guard parts > 1, started.load(ordering: .acquiring) else { return }
        state.stop()
    }

    /// What the caller and the helpers share. `work` is written before `epoch` moves on and read
    /// by helpers after they see it move, so the atomic's ordering publishes it; the caller
    /// clears it only after every helper has reported its part done.
    private final class State: @unchecked Sendable {
        let parts: Int
        let epoch = Atomic<Int>(0)
        let pending = Atomic<Int>(0)
        let busy = Atomic<Bool>(false)
        let stopping = Atomic<Bool>(false)
        /// Bit `helper` set while that helper sleeps or is about to.
        let sleeping = Atomic<Int>(0)
        let wakeups: [DispatchSemaphore]
        let finished = DispatchSemaphore(value: 0)
        var work: (@Sendable (Int) -> Void)?

        /// How long a helper waits for the next part before sleeping: a few milliseconds, longer
        /// than the serial work between two histograms of a boosting round.
        static let spins = 2_000_000
        /// Spinning threads yield their core this often, so fits running side by side (more
        /// threads than cores) still take turns.
        static let spinsBetweenYields = 512

        init(parts: Int) {
            self.parts = parts
            wakeups = (0..<parts).map { _ in DispatchSemaphore(value: 0) }
        }

        func run(_ body: @Sendable (Int) -> Void) {
            precondition(!busy.exchange(true, ordering: .acquiring), "FitWorkers.run is not re-entrant")
            precondition(!stopping.load(ordering: .relaxed), "FitWorkers used after finish()")
            withoutActuallyEscaping(body) { body in
                work = body
                pending.store(parts - 1, ordering: .releasing)
                epoch.wrappingAdd(1, ordering: .sequentiallyConsistent)
                wakeSleepers()
                body(0)
                var waited = 0
                while pending.load(ordering: .acquiring) > 0 {
                    waited += 1
                    if waited % Self.spinsBetweenYields == 0 { sched_yield() }
                }
                work = nil
            }
            busy.store(false, ordering: .releasing)
        }

        func stop() {
            guard !stopping.exchange(true, ordering: .sequentiallyConsistent) else { return }
            epoch.wrappingAdd(1, ordering: .sequentiallyConsistent)
            wakeSleepers()
            for _ in 1..<parts { finished.wait() }
        }

        private func wakeSleepers() {
            let sleepers = sleeping.exchange(0, ordering: .sequentiallyConsistent)
            for helper in 1..<parts where sleepers & (1 << helper) != 0 {
                wakeups[helper].signal()
            }
        }

        func serve(_ helper: Int) {
            var seen = 0
            while true {
                var spun = 0
                while epoch.load(ordering: .acquiring) == seen {
                    spun += 1
                    if spun % Self.spinsBetweenYields == 0 { sched_yield() }
                    guard spun > Self.spins else { continue }
                    // Sleep unless work arrived meanwhile; the caller signals whoever it finds asleep.
                    let bit = 1 << helper
                    sleeping.bitwiseOr(bit, ordering: .sequentiallyConsistent)
                    if epoch.load(ordering: .sequentiallyConsistent) != seen {
                        // Taken back unless the caller already took it, and with it owes a signal.
                        if sleeping.bitwiseAnd(~bit, ordering: .sequentiallyConsistent).oldValue & bit == 0 { wakeups[helper].wait() }
                    } else {
                        wakeups[helper].wait()
                    }
                    spun = 0
                }
                seen = epoch.load(ordering: .acquiring)
                if stopping.load(ordering: .acquiring) {
                    finished.signal()
                    return
                }
                work?(helper)
                pending.subtract(1, ordering: .releasing)
            }
        }
    }
}
