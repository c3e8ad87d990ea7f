import Foundation
import Kernel
import MLCore

/// `POST /preprocess`: a dataset and how to turn it into a train/test split.
struct PreprocessRequest: Codable, Sendable {
    var datasetID: String
    var spec: PreprocessSpec

    enum CodingKeys: String, CodingKey {
        case datasetID = "dataset_id"
    }

    init(from decoder: any Decoder) throws {
        datasetID = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .datasetID)
        spec = try PreprocessSpec(from: decoder)
    }

    func encode(to encoder: any Encoder) throws {
        try spec.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(datasetID, forKey: .datasetID)
    }

    /// What can be checked before queueing, from the spec and the dataset's stored profile:
    /// mistakes are answered at once (422) instead of as a failed job later.
    func validate(against dataset: Dataset) throws {
        var problems = spec.problems().map { FieldProblem(field: $0.field, problem: $0.problem) }
        let names = dataset.schema.columns.map(\.name)
        if let target = dataset.column(named: spec.target) {
            if target.count == 0 {
                problems.append(.init(field: "target", problem: "every value of '\(spec.target)' is missing"))
            } else if target.distinct < 2 {
                problems.append(.init(field: "target", problem: "'\(spec.target)' has a single value; there is nothing to learn"))
            } else if spec.task == .regression, target.kind != .numeric {
                problems.append(.init(field: "task", problem: "regression needs a numeric target; '\(spec.target)' is \(target.kind.rawValue)"))
            }
        } else if !spec.target.isEmpty {
            problems.append(.init(field: "target", problem: "no column named '\(spec.target)'; columns are \(Self.list(names))"))
        }
        for (index, name) in spec.drop.enumerated() where !names.contains(name) {
            problems.append(.init(field: "drop[\(index)]", problem: "no column named '\(name)'"))
        }
        guard problems.isEmpty else { throw APIError.validation(problems) }
    }

    private static func list(_ names: [String]) -> String {
        let shown = names.prefix(20).map { "'\($0)'" }.joined(separator: ", ")
        return names.count > 20 ? shown + ", …" : shown
    }
}

/// `POST /build-features`: a processed version and the feature options to fit on its train split.
struct BuildFeaturesRequest: Codable, Sendable {
    var processedVersion: String
    var options: FeatureOptions

    enum CodingKeys: String, CodingKey {
        case processedVersion = "processed_version"
        case options
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        processedVersion = try container.decode(String.self, forKey: .processedVersion)
        options = try container.decodeIfPresent(FeatureOptions.self, forKey: .options) ?? FeatureOptions()
    }

    func validate() throws {
        let problems = options.problems().map { FieldProblem(field: "options.\($0.field)", problem: $0.problem) }
        guard problems.isEmpty else { throw APIError.validation(problems) }
    }
}
