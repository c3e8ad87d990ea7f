import Hummingbird
import Prometheus
import Synchronization

/// Request counters and a latency histogram labelled by route template (never the raw path,
/// which would explode cardinality) and status.
public final class HTTPMetrics: Sendable {
    private struct Key: Hashable {
        var route: String
        var method: String
        var status: Int
    }

    private struct Series {
        var requests: Counter
        var duration: DurationHistogram
    }

    private let registry: PrometheusCollectorRegistry
    private let series = Mutex<[Key: Series]>([:])
    static let buckets: [Duration] = [
        .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(25),
        .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5), .seconds(5),
    ]

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    func record(route: String, method: String, status: Int, duration: Duration) {
        let key = Key(route: route, method: method, status: status)
        let metrics = series.withLock { series in
            if let existing = series[key] { return existing }
            let labels = [("route", route), ("method", method), ("status", String(status))]
            let created = Series(
                requests: registry.makeCounter(
                    descriptor: .init(namespace: "mlopsd", metricName: "http_requests", unitName: "total", helpText: "HTTP requests served"),
                    labels: labels
                ),
                duration: registry.makeDurationHistogram(
                    descriptor: .init(namespace: "mlopsd", metricName: "http_request_duration", unitName: "seconds", helpText: "HTTP request latency"),
                    labels: labels,
                    buckets: Self.buckets
                )
            )
            series[key] = created
            return created
        }
        metrics.requests.increment()
        metrics.duration.record(duration)
    }
}

/// Records every request into `HTTPMetrics`, including the error responses produced below it.
public struct MetricsMiddleware: RouterMiddleware {
    public typealias Context = AppRequestContext
    let metrics: HTTPMetrics

    public init(metrics: HTTPMetrics) {
        self.metrics = metrics
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        metrics.record(
            route: context.endpointPath ?? "unmatched",
            method: request.method.rawValue,
            status: Int(response.status.code),
            duration: ContinuousClock.now - start
        )
        return response
    }
}
