import MLCore
import Prometheus
import Synchronization

/// `MLOPSD_DRIFT_*`: the sliding window per served model and when a feature counts as drifted.
struct DriftSettings: Sendable {
    /// 0 turns drift monitoring off.
    var window = 10_000
    /// PSI above this flags a numeric feature (0.2 is the customary "significant shift").
    var psiThreshold = 0.2
    /// Jensen–Shannon distance above this flags a categorical feature or the class mix.
    var jensenShannonThreshold = 0.1
    /// Fewer records than this in the window flag nothing: a few requests are not a distribution.
    var minimumRecords = 200
}

/// Counts what one served model receives and predicts over a sliding window, against the profile
/// its bundle carries. The request path takes one uncontended lock and bumps one bin per input;
/// the statistics are computed when asked for, and the gauges refreshed when a generation of the
/// window completes.
final class DriftMonitor: Sendable {
    private let window: Mutex<DriftWindow>
    private let settings: DriftSettings
    private let gauges: [String: (value: Gauge, drifted: Gauge)]

    init(profile: ReferenceProfile, settings: DriftSettings, registry: PrometheusCollectorRegistry, model: String, version: String, arm: Arm) {
        window = Mutex(DriftWindow(profile: profile, windowSize: settings.window))
        self.settings = settings
        var gauges: [String: (value: Gauge, drifted: Gauge)] = [:]
        for name in profile.features.map(\.name) + [Self.predictionName] {
            let labels = [("model", model), ("version", version), ("arm", arm.rawValue), ("feature", name)]
            gauges[name] = (
                registry.makeGauge(
                    descriptor: .init(
                        namespace: "mlopsd", metricName: "drift", unitName: "",
                        helpText: "Drift of a served model's input feature (or its prediction) over the window: PSI or Jensen-Shannon distance"),
                    labels: labels),
                registry.makeGauge(
                    descriptor: .init(
                        namespace: "mlopsd", metricName: "drift_flagged", unitName: "",
                        helpText: "1 when the feature's drift is over its threshold with enough records in the window"),
                    labels: labels)
            )
        }
        self.gauges = gauges
    }

    /// The prediction's series, beside the features'.
    static let predictionName = "__prediction__"

    func record(_ record: [String: RawValue], prediction: Prediction) {
        let rotated = window.withLock { $0.record(record, prediction: prediction) }
        if rotated { refreshGauges() }
    }

    func report() -> DriftReport {
        // Inside the lock: a copy taken out would make the next record copy every count.
        window.withLock {
            $0.report(psiThreshold: settings.psiThreshold, jensenShannonThreshold: settings.jensenShannonThreshold, minimumRecords: settings.minimumRecords)
        }
    }

    private func refreshGauges() {
        let report = report()
        let measures = report.features.map { ($0.name, $0) } + [(Self.predictionName, report.prediction)]
        for (name, measure) in measures {
            guard let pair = gauges[name] else { continue }
            pair.value.set(measure.value)
            pair.drifted.set(measure.drifted ? 1.0 : 0.0)
        }
    }
}
