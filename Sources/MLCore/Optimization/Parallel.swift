import Dispatch
import Foundation

/// Splits `0..<count` into one contiguous range per core and runs `body` on each in parallel,
/// returning the per-range results in order. Work smaller than `minimumPerTask` stays on one thread.
enum Parallel {
    static let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)

    static func map<Result>(ranges count: Int, minimumPerTask: Int = 2048, _ body: (Range<Int>) -> Result) -> [Result] {
        let tasks = max(1, min(cores, count / max(1, minimumPerTask)))
        if tasks == 1 { return [body(0..<count)] }
        let results = UnsafeMutableBufferPointer<Result?>.allocate(capacity: tasks)
        results.initialize(repeating: nil)
        defer {
            results.deinitialize()
            results.deallocate()
        }
        let slots = UncheckedBox(results)
        withoutActuallyEscaping(body) { body in
            let work = UncheckedBox(body)
            DispatchQueue.concurrentPerform(iterations: tasks) { task in
                let lower = count * task / tasks
                let upper = count * (task + 1) / tasks
                slots.value[task] = work.value(lower..<upper)
            }
        }
        return results.map { $0! }
    }
}

/// Hands non-Sendable values to `concurrentPerform` where each task touches its own part.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value

    init(_ value: Value) {
        self.value = value
    }
}
