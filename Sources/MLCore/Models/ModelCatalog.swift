import Foundation

/// Every model type this build can train and load, by `modelType`.
public enum ModelCatalog {
    public static let types: [any Model.Type] = [
        BaselineModel.self, LogisticRegression.self, LinearRegression.self, DecisionTree.self, RandomForest.self, GradientBoosting.self,
    ]

    public static var names: [String] { types.map { $0.modelType } }

    public static func type(named name: String) -> (any Model.Type)? {
        types.first { $0.modelType == name }
    }

    /// A fresh model of `name` with hyperparameters from JSON (absent keys take their defaults).
    public static func make(_ name: String, parameters json: Data?) throws -> any Model {
        guard let type = type(named: name) else {
            throw ModelError.invalidParameter(name: "model_type", problem: "unknown model type '\(name)'; available: \(names.joined(separator: ", "))")
        }
        return try type.make(parametersJSON: json ?? Data("{}".utf8))
    }

    /// Feature encoding suited to the model family: one-hot and scaling for linear models,
    /// ordinal codes without scaling for trees.
    public static func featureOptions(for name: String, imbalance: ImbalanceHandling = .none) -> FeatureOptions {
        var options = ["logistic_regression", "linear_regression"].contains(name) ? FeatureOptions() : FeatureOptions.trees
        options.imbalance = imbalance
        return options
    }
}

extension Model {
    static func make(parametersJSON json: Data) throws -> any Model {
        do {
            return Self(parameters: try JSONDecoder().decode(Parameters.self, from: json))
        } catch let error as DecodingError {
            throw ModelError.invalidParameter(name: modelType, problem: "hyperparameters do not decode: \(error.shortDescription)")
        }
    }
}

extension DecodingError {
    var shortDescription: String {
        switch self {
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .keyNotFound(_, let context), .dataCorrupted(let context):
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        @unknown default:
            return "\(self)"
        }
    }
}
