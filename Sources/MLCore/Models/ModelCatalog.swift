/// Every model type this build can train and load, by `modelType`.
public enum ModelCatalog {
    public static let types: [any Model.Type] = [BaselineModel.self, LogisticRegression.self, LinearRegression.self, DecisionTree.self, RandomForest.self]

    public static func type(named name: String) -> (any Model.Type)? {
        types.first { $0.modelType == name }
    }
}
