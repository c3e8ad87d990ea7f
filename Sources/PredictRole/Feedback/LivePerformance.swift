import Foundation
import Hummingbird
import Kernel
import MLCore
import Prometheus

/// Live metrics of served models over their most recent feedback, computed the way training
/// computes the held-out figures (`Evaluation.metrics`), so the two compare.
struct LivePerformance: Sendable {
    let store: any FeedbackStore
    let window: Int
    let registry: PrometheusCollectorRegistry

    struct Report: Encodable, ResponseEncodable {
        struct Entry: Encodable {
            var modelName: String
            var modelVersion: String
            var arm: String
            var task: String
            var feedback: Int
            var metrics: [String: Double]
            var heldOut: [String: Double]

            enum CodingKeys: String, CodingKey {
                case modelName = "model_name"
                case modelVersion = "model_version"
                case arm, task, feedback, metrics
                case heldOut = "held_out"
            }
        }

        var window: Int
        var models: [Entry]
    }

    func report(for models: [LoadedModel]) async throws -> Report {
        var entries: [Report.Entry] = []
        for model in models {
            let rows = try await store.recent(modelKey: FeedbackIntake.hex(model.key), limit: window).filter { $0.arm == model.arm.rawValue }
            let metrics = Self.metrics(rows, task: model.bundle.task, classCount: model.bundle.classLabels.count)
            publish(metrics, for: model)
            entries.append(
                Report.Entry(
                    modelName: model.name, modelVersion: model.version, arm: model.arm.rawValue, task: model.bundle.task.rawValue,
                    feedback: rows.count, metrics: metrics, heldOut: model.bundle.metrics.filter { $0.value.isFinite }))
        }
        return Report(window: window, models: entries)
    }

    static func metrics(_ rows: [PredictionFeedback], task: TaskKind, classCount: Int) -> [String: Double] {
        guard !rows.isEmpty else { return [:] }
        switch task {
        case .classification:
            // Rows whose class is outside the model's (a crafted store) cannot be scored.
            let classes = 0..<Double(classCount)
            let scored = rows.filter {
                classes.contains($0.actual) && classes.contains($0.predicted) && $0.actual.rounded() == $0.actual
                    && $0.predicted.rounded() == $0.predicted
            }
            guard !scored.isEmpty else { return [:] }
            let truth = Targets(task: .classification, values: scored.map(\.actual), labels: (0..<classCount).map(String.init))
            let reported: Set = ["accuracy", "f1", "precision", "recall", "f1_macro", "f1_weighted"]
            return Evaluation.metrics(truth: truth, predicted: scored.map(\.predicted), probabilities: nil).filter {
                reported.contains($0.key) && $0.value.isFinite
            }
        case .regression:
            let scored = rows.filter { $0.actual.isFinite && $0.predicted.isFinite }
            guard !scored.isEmpty else { return [:] }
            let truth = Targets(task: .regression, values: scored.map(\.actual), labels: [])
            return Evaluation.metrics(truth: truth, predicted: scored.map(\.predicted), probabilities: nil).filter { $0.key != "mape" && $0.value.isFinite }
        }
    }

    private func publish(_ metrics: [String: Double], for model: LoadedModel) {
        for (name, value) in metrics {
            registry.makeGauge(
                descriptor: .init(
                    namespace: "mlopsd", metricName: "live_metric", unitName: "",
                    helpText: "A served model's metric over its most recent feedback (MLOPSD_FEEDBACK_WINDOW)"),
                labels: [("model", model.name), ("version", model.version), ("arm", model.arm.rawValue), ("metric", name)]
            ).set(value)
        }
    }
}
