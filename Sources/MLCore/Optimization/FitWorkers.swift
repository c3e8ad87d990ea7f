import Dispatch
import Foundation
import Synchronization

/// Helper threads kept ready for the length of one fit, for parallel work too small to pay a
/// dispatch each time: a boosting round builds dozens of leaf histograms of a few thousand rows,
/// and waking a dispatch worker for each cost more than it saved. A helper spins briefly after
/// its part, then sleeps on a semaphore, so between fits and in pauses it costs nothing.
final class FitWorkers: @unchecked Sendable {
    /// Parts one call splits its work into: the calling thread does part 0, each helper one more.
    let parts: Int
    private let epoch = Atomic<Int>(0)
    private let pending = Atomic<Int>(0)
    private let stopping = Atomic<Bool>(false)
    /// Bit `helper` set while that helper sleeps or is about to.
    private let sleeping = Atomic<Int>(0)
    private let wakeups: [DispatchSemaphore]
    private let finished = DispatchSemaphore(value: 0)
    /// Written by the caller before `epoch` moves on and read by helpers after they see it move,
    /// so the atomic's ordering publishes it; never touched while helpers run it.
    private var work: ((Int) -> Void)?
    private var stopped = false

    /// How long a helper waits for the next part before sleeping: a few milliseconds, longer
    /// than the serial work between two histograms of a boosting round. It yields its core now
    /// and then, so fits running side by side (more threads than cores) still take turns.
    private static let spins = 2_000_000
    private static let spinsBetweenYields = 512

    init(parts: Int = Parallel.cores) {
        self.parts = min(max(1, parts), Int.bitWidth - 1)
        wakeups = (0..<self.parts).map { _ in DispatchSemaphore(value: 0) }
        for helper in 1..<self.parts {
            let thread = Thread { [unowned self] in self.serve(helper) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Runs `body(part)` for every part, the caller's thread taking part 0; returns when all are done.
    func run(_ body: (Int) -> Void) {
        guard parts > 1 else { return body(0) }
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
    }

    deinit {
        finish()
    }

    /// Stops the helpers; the workers cannot be used afterwards.
    func finish() {
        guard parts > 1, !stopped else { return }
        stopped = true
        stopping.store(true, ordering: .sequentiallyConsistent)
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

    private func serve(_ helper: Int) {
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
