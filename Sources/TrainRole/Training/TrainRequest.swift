import Foundation
import Kernel
import MLCore

/// A training job's parameters: which data, which model types, how to compare them. The body of
/// `POST /api/v1/train` (`TrainSubmission`) completed from the training configuration.
struct TrainRequest: Codable, Sendable {
    var featuresVersion: String?
    var processedVersion: String?
    var modelTypes: [String]
    var hyperparameters: [String: JSONValue]
    var metric: String?
    var cvFolds: Int?
    var experimentName: String
    var seed: UInt64
    var imbalance: ImbalanceHandling
    /// The version of the training configuration that filled in what the body left out.
    var configurationVersion: Int?
    /// Search hyperparameters per model type before its fit.
    var tuning: TuningOptions?

    static let defaultExperiment = "mlopsd"

    enum CodingKeys: String, CodingKey {
        case featuresVersion = "features_version"
        case processedVersion = "processed_version"
        case modelTypes = "model_types"
        case hyperparameters, metric
        case cvFolds = "cv_folds"
        case experimentName = "experiment_name"
        case seed, imbalance
        case configurationVersion = "configuration_version"
        case tuning
    }

    init(
        featuresVersion: String?, processedVersion: String?, modelTypes: [String], hyperparameters: [String: JSONValue], metric: String?,
        cvFolds: Int?, experimentName: String, seed: UInt64, imbalance: ImbalanceHandling, configurationVersion: Int?,
        tuning: TuningOptions? = nil
    ) {
        self.featuresVersion = featuresVersion
        self.processedVersion = processedVersion
        self.modelTypes = modelTypes
        self.hyperparameters = hyperparameters
        self.metric = metric
        self.cvFolds = cvFolds
        self.experimentName = experimentName
        self.seed = seed
        self.imbalance = imbalance
        self.configurationVersion = configurationVersion
        self.tuning = tuning
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        featuresVersion = try container.decodeIfPresent(String.self, forKey: .featuresVersion)
        processedVersion = try container.decodeIfPresent(String.self, forKey: .processedVersion)
        modelTypes = try container.decode([String].self, forKey: .modelTypes)
        hyperparameters = try container.decodeIfPresent([String: JSONValue].self, forKey: .hyperparameters) ?? [:]
        metric = try container.decodeIfPresent(String.self, forKey: .metric)
        cvFolds = try container.decodeIfPresent(Int.self, forKey: .cvFolds)
        experimentName = try container.decodeIfPresent(String.self, forKey: .experimentName) ?? Self.defaultExperiment
        seed = try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? 42
        imbalance = try container.decodeIfPresent(ImbalanceHandling.self, forKey: .imbalance) ?? .auto
        configurationVersion = try container.decodeIfPresent(Int.self, forKey: .configurationVersion)
        tuning = try container.decodeIfPresent(TuningOptions.self, forKey: .tuning)
    }

    /// Checks that need no data: one data version named the right way, and the choices.
    func problems() -> [FieldProblem] {
        var problems: [FieldProblem] = []
        switch (featuresVersion, processedVersion) {
        case (nil, nil):
            problems.append(.init(field: "features_version", problem: "give features_version or processed_version"))
        case (.some, .some):
            problems.append(.init(field: "processed_version", problem: "give features_version or processed_version, not both"))
        case (let features?, nil) where !TrainingData.isVersionID(features, prefix: "fs-"):
            problems.append(.init(field: "features_version", problem: "expected an id like fs-0123456789abcdef"))
        case (nil, let processed?) where !TrainingData.isVersionID(processed, prefix: "pp-"):
            problems.append(.init(field: "processed_version", problem: "expected an id like pp-0123456789abcdef"))
        default:
            break
        }
        problems += Self.choiceProblems(modelTypes: modelTypes, hyperparameters: hyperparameters, cvFolds: cvFolds, experimentName: experimentName)
        problems += (tuning?.problems() ?? []).map { FieldProblem(field: "tuning.\($0.field)", problem: $0.problem) }
        return problems
    }

    /// Model types known and distinct, hyperparameters that decode for them, sane folds and
    /// experiment name: what a job and the training configuration both check.
    /// The configuration may hold hyperparameters for model types it does not train by default
    /// (`onlyForChosenTypes: false`): a job naming that type uses them.
    static func choiceProblems(
        modelTypes: [String], hyperparameters: [String: JSONValue], cvFolds: Int?, experimentName: String, onlyForChosenTypes: Bool = true
    ) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if modelTypes.isEmpty { problems.append(.init(field: "model_types", problem: "name at least one model type")) }
        for (index, type) in modelTypes.enumerated() {
            if ModelCatalog.type(named: type) == nil {
                problems.append(
                    .init(field: "model_types[\(index)]", problem: "unknown model type '\(type)'; available: \(ModelCatalog.names.joined(separator: ", "))"))
            } else if modelTypes.firstIndex(of: type) != index {
                problems.append(.init(field: "model_types[\(index)]", problem: "'\(type)' is listed twice"))
            }
        }
        for (type, parameters) in hyperparameters.sorted(by: { $0.key < $1.key }) {
            guard modelTypes.contains(type) || (!onlyForChosenTypes && ModelCatalog.type(named: type) != nil) else {
                problems.append(.init(field: "hyperparameters.\(type)", problem: "not one of model_types"))
                continue
            }
            do {
                _ = try ModelCatalog.make(type, parameters: Data(parameters.jsonString().utf8))
            } catch {
                problems.append(.init(field: "hyperparameters.\(type)", problem: "\(error)"))
            }
        }
        if let cvFolds, !(2...20).contains(cvFolds) { problems.append(.init(field: "cv_folds", problem: "must be from 2 to 20")) }
        if experimentName.isEmpty || experimentName.count > 200 || experimentName.contains(where: \.isNewline) {
            problems.append(.init(field: "experiment_name", problem: "1–200 characters on one line"))
        }
        return problems
    }

    /// The metric leaderboards sort by, defaulting by task, and whether the task reports it.
    func metric(for task: TaskKind) throws -> Metric {
        guard let name = metric else { return .default(for: task) }
        guard let chosen = Metric(rawValue: name), chosen.task == task else {
            let known = Metric.reported(for: task).map(\.rawValue).joined(separator: ", ")
            throw APIError.validation(field: "metric", problem: "'\(name)' is not reported for \(task.rawValue); use one of \(known)")
        }
        return chosen
    }
}
