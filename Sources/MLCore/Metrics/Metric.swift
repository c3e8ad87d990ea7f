/// A metric a leaderboard ranks by: the task that reports it and the direction that makes it
/// better, so no caller guesses either from the name.
public enum Metric: String, CaseIterable, Sendable, Codable {
    case accuracy
    case f1
    case f1Macro = "f1_macro"
    case f1Weighted = "f1_weighted"
    case precision
    case recall
    case precisionMacro = "precision_macro"
    case recallMacro = "recall_macro"
    case rocAUC = "roc_auc"
    case logLoss = "log_loss"
    case rmse
    case mae
    case r2
    case mape

    public var task: TaskKind {
        switch self {
        case .rmse, .mae, .r2, .mape: .regression
        default: .classification
        }
    }

    public var higherIsBetter: Bool {
        switch self {
        case .rmse, .mae, .mape, .logLoss: false
        default: true
        }
    }

    /// What a leaderboard ranks by when nobody chose: F1 (binary: of the minority class) or RMSE.
    public static func `default`(for task: TaskKind) -> Metric {
        task == .classification ? .f1 : .rmse
    }

    /// The metrics `Evaluation` reports for `task`.
    public static func reported(for task: TaskKind) -> [Metric] {
        allCases.filter { $0.task == task }
    }

    /// Whether `lhs` ranks above `rhs` by this metric; a value that is missing ranks last.
    public func ranks(_ lhs: [String: Double], above rhs: [String: Double]) -> Bool {
        let worst = higherIsBetter ? -Double.infinity : .infinity
        let left = lhs[rawValue] ?? worst
        let right = rhs[rawValue] ?? worst
        return higherIsBetter ? left > right : left < right
    }
}
