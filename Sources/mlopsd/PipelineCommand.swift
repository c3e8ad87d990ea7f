import ArgumentParser
import Foundation
import Kernel
import MLCore
import MLOpsAPI

/// The offline path in one command: preprocess, build features, train and compare models,
/// write one bundle per model and a leaderboard.
struct PipelineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline",
        abstract: "Preprocess a CSV, train several models, print a leaderboard and write bundles."
    )

    @Option(help: "CSV file with the training data.")
    var data: String

    @Option(help: "Target column.")
    var target: String

    @Option(help: "auto, classification or regression.")
    var task = "auto"

    @Option(help: "Comma-separated columns to drop (ids, leaks).")
    var drop = ""

    @Option(help: "Comma-separated model types (default: logistic or linear regression, random_forest, gradient_boosting).")
    var models: String?

    @Option(help: "Metric that ranks the leaderboard (default: f1 for classification, rmse for regression).")
    var metric: String?

    @Option(help: #"Hyperparameters as JSON: {"random_forest": {"n_estimators": 200}}."#)
    var params: String?

    @Option(help: "auto, none, class_weights or smote (classification only); auto tunes the decision threshold of an imbalanced binary target.")
    var imbalance = "auto"

    @Flag(help: "Search each model type's hyperparameters first (cross-validated on the training split; --params stay fixed).")
    var tune = false

    @Option(help: "Configurations a search tries per model type.")
    var tuneTrials = 20

    @Option(help: "Seconds a search may take per model type.")
    var tuneBudget = 300.0

    @Option(help: "random, or halving (successive halving over growing shares of the rows).")
    var tuneMethod = "random"

    @Option(help: "k-fold cross-validation on the training split.")
    var cvFolds: Int?

    @Option(help: "Seed for the split and every model.")
    var seed: UInt64 = 42

    @Option(help: "Share of rows held out for testing.")
    var testSize = 0.3

    @Option(help: "Directory for bundles and leaderboard.json.")
    var out = "var/models/pipeline"

    @Flag(help: "Print the leaderboard as JSON.")
    var json = false

    @Option(help: "Also write the exact train/test split used (train.csv, test.csv) into this directory.")
    var exportSplit: String?

    func run() throws {
        let table: Table
        do { table = try CSVReader.read(path: data) } catch { throw ValidationError("\(data): \(error)") }
        var tuning: TuningOptions?
        if tune {
            guard let method = TuningOptions.Method(rawValue: tuneMethod) else { throw ValidationError("--tune-method: expected random or halving") }
            let options = TuningOptions(trials: tuneTrials, budgetSeconds: tuneBudget, method: method)
            if let problem = options.problems().first {
                throw ValidationError("--tune-\(problem.field == "budget_seconds" ? "budget" : problem.field): \(problem.problem)")
            }
            tuning = options
        }
        guard let imbalance = ImbalanceHandling(rawValue: imbalance) else { throw ValidationError("--imbalance: expected auto, none, class_weights or smote") }
        let taskKind: TaskKind?
        switch task {
        case "auto": taskKind = nil
        default:
            guard let kind = TaskKind(rawValue: task) else { throw ValidationError("--task: expected auto, classification or regression") }
            taskKind = kind
        }
        let spec = PreprocessSpec(
            target: target, task: taskKind, drop: drop.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
            testSize: testSize, seed: seed
        )
        let split: PreprocessResult
        do { split = try Preprocessor.run(table, spec: spec) } catch { throw ValidationError("\(error)") }
        let resolvedTask = split.report.task
        if let exportSplit {
            try FileManager.default.createDirectory(atPath: exportSplit, withIntermediateDirectories: true)
            try Data(CSVWriter.write(split.train)).write(to: URL(fileURLWithPath: exportSplit).appendingPathComponent("train.csv"))
            try Data(CSVWriter.write(split.test)).write(to: URL(fileURLWithPath: exportSplit).appendingPathComponent("test.csv"))
        }
        let modelTypes =
            models.map { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
            ?? (resolvedTask == .classification
                ? ["logistic_regression", "random_forest", "gradient_boosting"]
                : ["linear_regression", "random_forest", "gradient_boosting"])
        let ranking = try rankingMetric(for: resolvedTask)
        let hyperparameters = try parseParams()
        let version = try DataVersion.digest(ofFileAt: data).md5

        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        var entries: [Components.Schemas.LeaderboardEntry] = []
        for modelType in modelTypes {
            let request = Trainer.Request(
                modelType: modelType, parameters: hyperparameters[modelType], imbalance: imbalance, seed: seed, cvFolds: cvFolds,
                dataVersion: version, preprocess: spec, metric: ranking, tuning: tuning
            )
            let trained: TrainedModel
            do { trained = try Trainer.train(request, split: split, target: target) } catch { throw ValidationError("\(modelType): \(error)") }
            let path = URL(fileURLWithPath: out).appendingPathComponent("\(modelType).mlbundle").path
            try trained.bundle.fileData().write(to: URL(fileURLWithPath: path))
            entries.append(
                .init(
                    modelType: modelType, modelName: modelType, metrics: .init(additionalProperties: trained.metrics),
                    crossValidation: trained.crossValidation.map { .init(additionalProperties: $0) }, fitSeconds: trained.fitSeconds, bundlePath: path,
                    tuning: trained.tuning.map(TrainingResultTable.summary), decisionThreshold: trained.decisionThreshold))
        }
        entries.sort { ranking.ranks($0.metrics.additionalProperties, above: $1.metrics.additionalProperties) }
        let leaderboard = Leaderboard(
            data: data, dataVersion: version, target: target, task: resolvedTask, metric: ranking.rawValue, preprocessing: split.report, models: entries
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let leaderboardData = try encoder.encode(leaderboard)
        try leaderboardData.write(to: URL(fileURLWithPath: out).appendingPathComponent("leaderboard.json"))
        if json {
            print(String(decoding: leaderboardData, as: UTF8.self))
        } else {
            print(LeaderboardTable.render(leaderboard))
        }
    }

    private func rankingMetric(for task: TaskKind) throws -> Metric {
        guard let metric else { return .default(for: task) }
        guard let chosen = Metric(rawValue: metric), chosen.task == task else {
            throw ValidationError(
                "--metric '\(metric)' is not reported for \(task.rawValue); use one of \(Metric.reported(for: task).map(\.rawValue).joined(separator: ", "))")
        }
        return chosen
    }

    private func parseParams() throws -> [String: Data] {
        guard let params else { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(params.utf8)) as? [String: Any] else {
            throw ValidationError(#"--params: expected a JSON object such as {"random_forest": {"n_estimators": 200}}"#)
        }
        var result: [String: Data] = [:]
        for (model, value) in object {
            guard JSONSerialization.isValidJSONObject(value) else { throw ValidationError("--params: '\(model)' must map to an object") }
            result[model] = try JSONSerialization.data(withJSONObject: value)
        }
        return result
    }
}

struct Leaderboard: Codable {
    var data: String
    var dataVersion: String
    var target: String
    var task: TaskKind
    var metric: String
    var preprocessing: PreprocessReport
    /// The same rows as a training job's leaderboard (the API's `LeaderboardEntry`).
    var models: [Components.Schemas.LeaderboardEntry]

    enum CodingKeys: String, CodingKey {
        case data
        case dataVersion = "data_version"
        case target, task, metric, preprocessing, models
    }
}

enum LeaderboardTable {
    /// The metrics a leaderboard shows for a task, here and in `mlopsd client train`.
    static func columns(for task: TaskKind) -> [String] {
        task == .classification ? ["f1", "roc_auc", "accuracy", "f1_macro", "log_loss"] : ["rmse", "mae", "r2", "mape"]
    }

    static func render(_ leaderboard: Leaderboard) -> String {
        let columns = columns(for: leaderboard.task)
        // Shown when a threshold was tuned: the metrics above were measured with it.
        let thresholds = leaderboard.models.contains { $0.decisionThreshold != nil }
        var rows = [["#", "model"] + columns + (thresholds ? ["threshold"] : []) + ["fit s"]]
        for (rank, entry) in leaderboard.models.enumerated() {
            let threshold = thresholds ? [entry.decisionThreshold.map { String(format: "%.3f", $0) } ?? "–"] : []
            rows.append(
                ["\(rank + 1)", entry.modelType] + columns.map { entry.metrics.additionalProperties[$0].map { String(format: "%.4f", $0) } ?? "–" }
                    + threshold + [String(format: "%.2f", entry.fitSeconds)])
        }
        let widths = rows[0].indices.map { index in rows.map { $0[index].count }.max() ?? 0 }
        var lines = [
            "\(leaderboard.target) (\(leaderboard.task.rawValue)), ranked by \(leaderboard.metric); train \(leaderboard.preprocessing.trainRows) rows, test \(leaderboard.preprocessing.testRows) rows",
            "",
        ]
        for (index, row) in rows.enumerated() {
            lines.append(
                row.enumerated().map { column, cell in
                    let padding = String(repeating: " ", count: widths[column] - cell.count)
                    return column <= 1 ? cell + padding : padding + cell
                }.joined(separator: "  "))
            if index == 0 { lines.append(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")) }
        }
        for entry in leaderboard.models {
            guard let tuning = entry.tuning else { continue }
            let score = tuning.bestScore.map { String(format: "%.4f", $0) } ?? "–"
            lines.append(
                "\(entry.modelType): trial \(tuning.bestTrial) of \(tuning.trials) (\(tuning.method.rawValue)), cross-validated \(tuning.metric) \(score), "
                    + String(format: "%.1f s", tuning.seconds) + (tuning.stoppedByBudget ? ", stopped by the budget" : ""))
        }
        return lines.joined(separator: "\n")
    }
}
