import Foundation
import Kernel
import MLCore

/// The body of `POST /api/v1/train` as sent: every field optional, the replaced services' names
/// accepted where they mean the same. `resolved` completes it into a job's `TrainRequest` from the
/// training configuration and the most recent data version.
struct TrainSubmission: Decodable, Sendable {
    var featuresVersion: String?
    var processedVersion: String?
    var modelTypes: [String]?
    var models: [String]?
    var hyperparameters: [String: JSONValue]?
    var metric: String?
    var cvFolds: Int?
    var experimentName: String?
    var seed: UInt64?
    var imbalance: ImbalanceHandling?
    var gridSearch: Bool?
    var tuning: TuningOptions?
    var configPath: String?

    enum CodingKeys: String, CodingKey {
        case featuresVersion = "features_version"
        case processedVersion = "processed_version"
        case modelTypes = "model_types"
        case models, hyperparameters, metric
        case cvFolds = "cv_folds"
        case experimentName = "experiment_name"
        case seed, imbalance
        case gridSearch = "grid_search"
        case tuning
        case configPath = "config_path"
    }

    /// What is refused outright, whatever the configuration says.
    func refusals() -> [FieldProblem] {
        var problems: [FieldProblem] = []
        if configPath != nil {
            problems.append(
                .init(field: "config_path", problem: "files of the replaced services are not read; set defaults with PUT /api/v1/train/config"))
        }
        if modelTypes != nil, models != nil {
            problems.append(.init(field: "models", problem: "give model_types or models (the same list), not both"))
        }
        return problems
    }

    /// The job's parameters: what the body gives, else the configuration's; with no data version
    /// named, `latest` (the most recent one).
    func resolved(with stored: StoredTrainingConfiguration, latest: () async throws -> (kind: String, version: String)?) async throws -> TrainRequest {
        let problems = refusals()
        guard problems.isEmpty else { throw APIError.validation(problems) }
        let configuration = stored.configuration
        var featuresVersion = featuresVersion
        var processedVersion = processedVersion
        if featuresVersion == nil, processedVersion == nil {
            guard let found = try await latest() else {
                throw APIError(
                    .notFound, code: "not_found", message: "No data version exists yet; build features or preprocess a dataset first",
                    details: [FieldProblem(field: "features_version", problem: "none exists yet")])
            }
            if found.kind == "features" { featuresVersion = found.version } else { processedVersion = found.version }
        }
        let chosenTypes = modelTypes ?? models ?? configuration.modelTypes
        // The configuration's hyperparameters for the chosen types, each replaced by the body's.
        var hyperparameters = configuration.hyperparameters.filter { chosenTypes.contains($0.key) }
        hyperparameters.merge(self.hyperparameters ?? [:]) { _, given in given }
        return TrainRequest(
            featuresVersion: featuresVersion, processedVersion: processedVersion, modelTypes: chosenTypes, hyperparameters: hyperparameters,
            metric: metric, cvFolds: cvFolds ?? configuration.cvFolds, experimentName: experimentName ?? configuration.experimentName,
            seed: seed ?? configuration.seed, imbalance: imbalance ?? configuration.imbalance, configurationVersion: stored.version,
            // The replaced services' switch: their search, with mlopsd's default budget.
            tuning: tuning ?? (gridSearch == true ? TuningOptions() : nil))
    }
}

extension TrainingData {
    /// The most recently created data version in the data directory, feature set or processed
    /// split: what a job naming none trains on. A directory without a readable manifest is not a
    /// version (it may be one being published).
    static func latest(in dataDirectory: URL) -> (kind: String, version: String)? {
        var newest: (created: Date, kind: String, version: String)?
        for (kind, prefix) in [("features", "fs-"), ("processed", "pp-")] {
            let directory = dataDirectory.appendingPathComponent(kind)
            let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            for name in names where isVersionID(name, prefix: prefix) {
                guard let manifest = try? manifest(in: directory.appendingPathComponent(name)) else { continue }
                if newest.map({ manifest.createdAt > $0.created }) ?? true { newest = (manifest.createdAt, kind, name) }
            }
        }
        return newest.map { ($0.kind, $0.version) }
    }
}
