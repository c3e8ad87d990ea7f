import ArgumentParser
import Foundation
import MLOpsAPI
import MLOpsClient

struct ClientDrift: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift", abstract: "Drift of what each served model receives against its training profile (any signed-in user).")
    @OptionGroup var options: ClientOptions

    func run() async throws {
        try await options.run {
            let report = try await options.client.call { try await $0.predictDrift().ok.body.json }
            if options.json { return options.print(report) }
            var sections: [String] = []
            for model in report.models ?? [] {
                let title = "\(model.modelName ?? "?") v\(model.modelVersion ?? "?") (\(model.arm?.rawValue ?? "?")): \(model.records ?? 0) records"
                guard model.reference == true else {
                    sections.append(title + ", no training profile in its bundle (trained before drift monitoring)")
                    continue
                }
                let entries = (model.features ?? []) + (model.prediction.map { [$0] } ?? [])
                let rows = entries.map { entry in
                    [
                        entry.drifted == true ? "!" : "", entry.name ?? "", entry.statistic?.rawValue ?? "", Terminal.number(entry.value),
                        Terminal.number(entry.threshold),
                    ]
                }
                let drifted = model.driftedFeatures ?? []
                sections.append(
                    title + (drifted.isEmpty ? ", no feature drifted" : ", drifted: \(drifted.joined(separator: ", "))") + "\n"
                        + Terminal.table(["", "feature", "statistic", "value", "threshold"], rows))
            }
            options.terminal.output(sections.isEmpty ? "no model is served" : sections.joined(separator: "\n\n"))
        }
    }
}

struct ClientPerformance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "performance", abstract: "Live metrics of each served model from feedback, beside its held-out figures.")
    @OptionGroup var options: ClientOptions

    func run() async throws {
        try await options.run {
            let report = try await options.client.call { try await $0.livePerformance().ok.body.json }
            if options.json { return options.print(report) }
            var rows: [[String]] = []
            for model in report.models ?? [] {
                let live = model.metrics?.additionalProperties ?? [:]
                let heldOut = model.heldOut?.additionalProperties ?? [:]
                for name in live.keys.sorted() {
                    rows.append([
                        model.modelName ?? "", model.modelVersion ?? "", model.arm?.rawValue ?? "", "\(model.feedback ?? 0)", name,
                        Terminal.number(live[name]), Terminal.number(heldOut[name]),
                    ])
                }
                if live.isEmpty { rows.append([model.modelName ?? "", model.modelVersion ?? "", model.arm?.rawValue ?? "", "0", "", "", ""]) }
            }
            options.terminal.output(Terminal.table(["model", "version", "arm", "feedback", "metric", "live", "held out"], rows))
        }
    }
}

struct ClientFeedback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "feedback", abstract: "The truth for an earlier prediction, by its prediction_id.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "The prediction_id of the prediction.") var predictionID: String
    @Option(help: "The true class (classifiers).") var label: String?
    @Option(help: "The true value (regressors).") var value: Double?

    func validate() throws {
        guard (label == nil) != (value == nil) else { throw ValidationError("give exactly one of --label and --value") }
    }

    func run() async throws {
        try await options.run {
            let request = Components.Schemas.FeedbackRequest(predictionId: predictionID, label: label.map { .case1($0) }, value: value)
            let answer = try await options.client.call { try await $0.predictFeedback(body: .json(request)).ok.body.json }
            if options.json { return options.print(answer) }
            options.terminal.output("recorded \(answer.accepted ?? 0)")
        }
    }
}
