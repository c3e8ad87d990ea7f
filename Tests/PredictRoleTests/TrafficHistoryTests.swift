import Foundation
import Kernel
import MLCore
import MLOpsTesting
import Prometheus
import Testing

@testable import PredictRole

/// The dashboard's rate and latency charts: what a meter counts, and the points a history keeps.
@Suite struct TrafficHistoryTests {
    @Test func quantilesInterpolateInsideTheirBucket() throws {
        let meter = TrafficMeter()
        // 100 requests: 50 at 40 µs (25–50 µs bucket), 49 at 2 ms (1–2.5 ms), 1 at 3 s (2.5–5 s).
        for _ in 0..<50 { meter.record(.microseconds(40), records: 1) }
        for _ in 0..<49 { meter.record(.milliseconds(2), records: 10) }
        meter.record(.seconds(3), records: 1)
        let totals = meter.totals
        #expect(totals.requests == 100)
        #expect(totals.records == 50 + 490 + 1)
        #expect(totals.latency(quantile: 0.5) == .microseconds(50))
        let p99 = try #require(totals.latency(quantile: 0.99))
        #expect(p99 > .milliseconds(2.4) && p99 <= .milliseconds(2.5), "\(p99)")
        #expect(totals.latency(quantile: 1) == .seconds(5))
        #expect(TrafficMeter.Totals().latency(quantile: 0.5) == nil)
        // Slower than every bound: the last one, not an invented figure.
        meter.record(.seconds(60), records: 1000)
        #expect(meter.totals.latency(quantile: 1) == TrafficMeter.bounds.last)
    }

    @Test func eachSampleIsTheTrafficSinceThePreviousAndOldPointsAgeOut() throws {
        let (_, data) = try PredictHarness.penguinsBundle(modelType: "logistic_regression")
        let model = LoadedModel(
            bundle: try ModelBundle.load(from: data), name: "penguins", version: "3", runID: nil, bundlePath: "champion/p.mlbundle",
            bundleMD5: "0123456789abcdef0123456789abcdef", registry: PrometheusCollectorRegistry())
        let history = TrafficHistory(interval: .seconds(10), capacity: 3) { [model] }
        let start = Date(timeIntervalSince1970: 1_800_000_000)

        for _ in 0..<20 { model.metrics.traffic.record(.microseconds(100), records: 5) }
        history.sample([model], at: start)
        for _ in 0..<10 { model.metrics.traffic.record(.milliseconds(1), records: 1) }
        history.sample([model], at: start.addingTimeInterval(10))
        history.sample([model], at: start.addingTimeInterval(20))

        var series = try #require(history.report.models.first)
        #expect(series.modelName == "penguins" && series.modelVersion == "3" && series.arm == "champion")
        #expect(series.points.map(\.requestsPerSecond) == [2, 1, 0])
        #expect(series.points.map(\.recordsPerSecond) == [10, 1, 0])
        #expect(series.points[1].p50Milliseconds == 0.75)
        #expect(series.points[2].p50Milliseconds == nil, "no requests, no latency")

        // Three points of ten seconds: the first ages out when the fourth arrives.
        history.sample([model], at: start.addingTimeInterval(30))
        series = try #require(history.report.models.first)
        #expect(series.points.map(\.at) == [10, 20, 30].map { start.addingTimeInterval($0) })
        #expect(history.report.windowSeconds == 30)

        // A model no longer served keeps its points until they leave the window.
        history.sample([], at: start.addingTimeInterval(40))
        #expect(history.report.models.first?.points.count == 2)
        history.sample([], at: start.addingTimeInterval(70))
        #expect(history.report.models.isEmpty)
    }
}
