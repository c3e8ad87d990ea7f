import Prometheus

/// Prediction counters and latency for one served model in one arm, resolved once when the model
/// loads so the request path only increments (no label lookups per request).
struct PredictionMetrics: Sendable {
    let predictions: Counter
    let invalidRecords: Counter
    let latency: DurationHistogram
    /// The same traffic, readable back for the dashboard's charts.
    let traffic = TrafficMeter()

    static let buckets: [Duration] = [
        .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250), .microseconds(500),
        .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(250),
    ]

    init(registry: PrometheusCollectorRegistry, model: String, version: String, arm: Arm, heldOut: [String: Double] = [:]) {
        let labels = [("model", model), ("version", version), ("arm", arm.rawValue)]
        predictions = registry.makeCounter(
            descriptor: .init(namespace: "mlopsd", metricName: "predictions", unitName: "total", helpText: "Records predicted"),
            labels: labels
        )
        invalidRecords = registry.makeCounter(
            descriptor: .init(
                namespace: "mlopsd", metricName: "prediction_validation_errors", unitName: "total", helpText: "Records refused by input validation"),
            labels: labels
        )
        // The held-out figures the live metrics are compared with, in alerts and dashboards.
        for (metric, value) in heldOut where value.isFinite {
            registry.makeGauge(
                descriptor: .init(
                    namespace: "mlopsd", metricName: "model_metric", unitName: "",
                    helpText: "A served model's held-out metric from training, beside which its live metric is read"),
                labels: labels + [("metric", metric)]
            ).set(value)
        }
        latency = registry.makeDurationHistogram(
            descriptor: .init(
                namespace: "mlopsd", metricName: "prediction_duration", unitName: "seconds", helpText: "Model time per request (transform and predict)"),
            labels: labels,
            buckets: Self.buckets
        )
    }
}
