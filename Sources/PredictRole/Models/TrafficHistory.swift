import Foundation
import Hummingbird
import Kernel
import ServiceLifecycle
import Synchronization

/// The last hour of traffic per served model and arm on this replica, one point every ten
/// seconds: what the dashboard charts without a Prometheus. Each replica answers for itself.
final class TrafficHistory: Service, Sendable {
    struct Point: Encodable, Sendable, Equatable {
        var at: Date
        var requestsPerSecond: Double
        var recordsPerSecond: Double
        var p50Milliseconds: Double?
        var p99Milliseconds: Double?

        enum CodingKeys: String, CodingKey {
            case at
            case requestsPerSecond = "requests_per_second"
            case recordsPerSecond = "records_per_second"
            case p50Milliseconds = "p50_ms"
            case p99Milliseconds = "p99_ms"
        }
    }

    struct Series: Encodable, Sendable {
        var modelName: String
        var modelVersion: String
        var arm: String
        var points: [Point]

        enum CodingKeys: String, CodingKey {
            case modelName = "model_name"
            case modelVersion = "model_version"
            case arm, points
        }
    }

    struct Report: Encodable, ResponseEncodable, Sendable {
        var intervalSeconds: Int
        var windowSeconds: Int
        var models: [Series]

        enum CodingKeys: String, CodingKey {
            case intervalSeconds = "interval_seconds"
            case windowSeconds = "window_seconds"
            case models
        }
    }

    private struct State {
        /// Each meter with the totals it had at the previous sample. The meter is held so that a
        /// new one cannot take a retired one's address (and its totals) between two samples.
        var previous: [ObjectIdentifier: (meter: TrafficMeter, totals: TrafficMeter.Totals)] = [:]
        var previousAt: Date?
        var series: [String: Series] = [:]
    }

    let interval: Duration
    let capacity: Int
    private let served: @Sendable () -> [LoadedModel]
    private let state = Mutex(State())

    init(interval: Duration = .seconds(10), capacity: Int = 360, served: @escaping @Sendable () -> [LoadedModel]) {
        self.interval = interval
        self.capacity = capacity
        self.served = served
    }

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    try await Task.sleep(for: self.interval)
                    self.sample(self.served(), at: Date())
                }
            }
        } catch is CancellationError {
            // Shutting down.
        }
    }

    /// Adds a point per served model: what its meter counted since the previous sample. A model
    /// no longer served keeps its points until they age out of the window.
    func sample(_ models: [LoadedModel], at now: Date) {
        let nominal = interval.seconds
        let oldest = now.addingTimeInterval(-nominal * Double(capacity))
        state.withLock { state in
            // Rates over the time that really passed: a sleep can overrun its interval.
            let seconds = state.previousAt.map { max(now.timeIntervalSince($0), 0.001) } ?? nominal
            state.previousAt = now
            var previous: [ObjectIdentifier: (meter: TrafficMeter, totals: TrafficMeter.Totals)] = [:]
            for model in models {
                let meter = model.metrics.traffic
                let totals = meter.totals
                let delta = totals - (state.previous[ObjectIdentifier(meter)]?.totals ?? TrafficMeter.Totals())
                previous[ObjectIdentifier(meter)] = (meter, totals)
                let key = "\(model.name)\u{0}\(model.version)\u{0}\(model.arm.rawValue)"
                let point = Point(
                    at: now, requestsPerSecond: Double(delta.requests) / seconds, recordsPerSecond: Double(delta.records) / seconds,
                    p50Milliseconds: delta.latency(quantile: 0.5).map { $0.seconds * 1000 },
                    p99Milliseconds: delta.latency(quantile: 0.99).map { $0.seconds * 1000 })
                state.series[key, default: Series(modelName: model.name, modelVersion: model.version, arm: model.arm.rawValue, points: [])].points.append(point)
            }
            state.previous = previous
            for key in state.series.keys {
                state.series[key]?.points.removeAll { $0.at <= oldest }
                if state.series[key]?.points.isEmpty == true { state.series[key] = nil }
            }
        }
    }

    var report: Report {
        let seconds = Int(interval.components.seconds)
        return Report(
            intervalSeconds: seconds, windowSeconds: seconds * capacity,
            models: state.withLock { Array($0.series.values) }.sorted { ($0.modelName, $0.modelVersion, $0.arm) < ($1.modelName, $1.modelVersion, $1.arm) })
    }
}
