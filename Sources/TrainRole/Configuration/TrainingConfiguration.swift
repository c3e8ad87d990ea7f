import Foundation
import Kernel
import MLCore

/// The defaults of training jobs and of promotion (`GET`/`PUT /api/v1/train/config`): what a job
/// started without model types, hyperparameters or a metric uses, and the gates a promotion
/// applies when its request names none. A `PUT` replaces the whole of it; fields left out take
/// the built-in defaults, which are also version 0.
struct TrainingConfiguration: Codable, Sendable, Equatable {
    static let defaultModelTypes = ["logistic_regression", "random_forest", "gradient_boosting"]

    /// The leaderboard metric per task; nil takes the task's default.
    struct MetricChoice: Codable, Sendable, Equatable {
        var classification: String?
        var regression: String?

        func name(for task: TaskKind) -> String? {
            switch task {
            case .classification: classification
            case .regression: regression
            }
        }
    }

    var modelTypes = Self.defaultModelTypes
    var hyperparameters: [String: JSONValue] = [:]
    var metric = MetricChoice()
    var cvFolds: Int?
    var experimentName = TrainRequest.defaultExperiment
    var imbalance = ImbalanceHandling.auto
    var seed: UInt64 = 42
    var minMetrics: [String: Double] = [:]

    enum CodingKeys: String, CodingKey {
        case modelTypes = "model_types"
        case hyperparameters, metric
        case cvFolds = "cv_folds"
        case experimentName = "experiment_name"
        case imbalance, seed
        case minMetrics = "min_metrics"
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = TrainingConfiguration()
        modelTypes = try container.decodeIfPresent([String].self, forKey: .modelTypes) ?? defaults.modelTypes
        hyperparameters = try container.decodeIfPresent([String: JSONValue].self, forKey: .hyperparameters) ?? [:]
        metric = try container.decodeIfPresent(MetricChoice.self, forKey: .metric) ?? MetricChoice()
        cvFolds = try container.decodeIfPresent(Int.self, forKey: .cvFolds)
        experimentName = try container.decodeIfPresent(String.self, forKey: .experimentName) ?? defaults.experimentName
        imbalance = try container.decodeIfPresent(ImbalanceHandling.self, forKey: .imbalance) ?? defaults.imbalance
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? defaults.seed
        minMetrics = try container.decodeIfPresent([String: Double].self, forKey: .minMetrics) ?? [:]
    }

    /// Everything a job or a promotion would refuse, found before the configuration is stored.
    func problems() -> [FieldProblem] {
        var problems = TrainRequest.choiceProblems(
            modelTypes: modelTypes, hyperparameters: hyperparameters, cvFolds: cvFolds, experimentName: experimentName,
            onlyForChosenTypes: false)
        for task in [TaskKind.classification, .regression] {
            guard let name = metric.name(for: task) else { continue }
            if Metric(rawValue: name)?.task != task {
                let known = Metric.reported(for: task).map(\.rawValue).joined(separator: ", ")
                problems.append(.init(field: "metric.\(task.rawValue)", problem: "'\(name)' is not reported for \(task.rawValue); use one of \(known)"))
            }
        }
        for name in minMetrics.keys.sorted() where Promotion.gateMetric(name) == nil {
            problems.append(.init(field: "min_metrics.\(name)", problem: "unknown metric; use a metric name, or one prefixed with cv_"))
        }
        return problems
    }
}

/// One stored version of the configuration; version 0 is the built-in default, never stored.
struct StoredTrainingConfiguration: Sendable, Equatable {
    var version: Int
    var configuration: TrainingConfiguration
    var updatedAt: Date?
    var updatedBy: String?

    static let builtIn = StoredTrainingConfiguration(version: 0, configuration: TrainingConfiguration(), updatedAt: nil, updatedBy: nil)
}

extension StoredTrainingConfiguration: Encodable {
    enum CodingKeys: String, CodingKey {
        case version
        case updatedAt = "updated_at"
        case updatedBy = "updated_by"
    }

    func encode(to encoder: any Encoder) throws {
        try configuration.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(version, forKey: .version)
        try container.encode(updatedAt.map { ISO8601Timestamp.string($0) }, forKey: .updatedAt)
        try container.encode(updatedBy, forKey: .updatedBy)
    }
}
