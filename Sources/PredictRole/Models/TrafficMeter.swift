import Atomics

/// Running totals of one served model in one arm: requests, records and a latency histogram,
/// counted with relaxed atomics so a request pays three increments. `TrafficHistory` reads them
/// every interval; Prometheus has its own series, which cannot be read back.
final class TrafficMeter: Sendable {
    /// Upper bounds of the latency buckets, up to a batch's worst; a last bucket holds anything slower.
    static let bounds: [Duration] = [
        .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
        .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5), .seconds(10), .seconds(30),
    ]

    struct Totals: Equatable, Sendable {
        var requests = 0
        var records = 0
        var buckets = [Int](repeating: 0, count: TrafficMeter.bounds.count + 1)

        static func - (later: Totals, earlier: Totals) -> Totals {
            Totals(
                requests: later.requests - earlier.requests, records: later.records - earlier.records,
                buckets: zip(later.buckets, earlier.buckets).map { $0 - $1 })
        }
    }

    private let requests = ManagedAtomic<Int>(0)
    private let records = ManagedAtomic<Int>(0)
    private let buckets = (0...TrafficMeter.bounds.count).map { _ in ManagedAtomic<Int>(0) }

    func record(_ duration: Duration, records count: Int) {
        requests.wrappingIncrement(ordering: .relaxed)
        records.wrappingIncrement(by: count, ordering: .relaxed)
        let bucket = Self.bounds.firstIndex { duration <= $0 } ?? Self.bounds.count
        buckets[bucket].wrappingIncrement(ordering: .relaxed)
    }

    /// Read without stopping the writers, so one read may hold a request's count but not yet its
    /// bucket; the next read has both.
    var totals: Totals {
        Totals(
            requests: requests.load(ordering: .relaxed), records: records.load(ordering: .relaxed),
            buckets: buckets.map { $0.load(ordering: .relaxed) })
    }
}

extension TrafficMeter.Totals {
    /// The latency below which `quantile` of the requests fell, interpolated inside its bucket
    /// (from zero in the first); in the open last bucket, the last bound. Nil without requests.
    func latency(quantile: Double) -> Duration? {
        let count = buckets.reduce(0, +)
        guard count > 0 else { return nil }
        let target = quantile * Double(count)
        var below = 0
        for (index, inBucket) in buckets.enumerated() where inBucket > 0 {
            if Double(below + inBucket) >= target {
                guard index < TrafficMeter.bounds.count else { return TrafficMeter.bounds.last }
                let lower = index == 0 ? Duration.zero : TrafficMeter.bounds[index - 1]
                let fraction = max(0, min(1, (target - Double(below)) / Double(inBucket)))
                return lower + (TrafficMeter.bounds[index] - lower) * fraction
            }
            below += inBucket
        }
        return TrafficMeter.bounds.last
    }
}
