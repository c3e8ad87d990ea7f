import Foundation

/// One hyperparameter's values for a search: a range sampled uniformly (on a log scale where
/// the parameter works by orders of magnitude) or a list to pick from.
public enum SearchDimension: Sendable, Equatable {
    case uniform(ClosedRange<Double>)
    case logUniform(ClosedRange<Double>)
    case integer(ClosedRange<Int>)
    case logInteger(ClosedRange<Int>)
    case choice([SearchValue])

    func sample(_ generator: inout SeededGenerator) -> SearchValue {
        switch self {
        case .uniform(let range):
            return .number(range.lowerBound + generator.nextUnit() * (range.upperBound - range.lowerBound))
        case .logUniform(let range):
            return .number(exp(log(range.lowerBound) + generator.nextUnit() * (log(range.upperBound) - log(range.lowerBound))))
        case .integer(let range):
            return .integer(range.lowerBound + Int(generator.next() % UInt64(range.count)))
        case .logInteger(let range):
            let value = exp(log(Double(range.lowerBound)) + generator.nextUnit() * (log(Double(range.upperBound) + 1) - log(Double(range.lowerBound))))
            return .integer(min(range.upperBound, max(range.lowerBound, Int(value))))
        case .choice(let values):
            return values[Int(generator.next() % UInt64(values.count))]
        }
    }
}

/// A hyperparameter value as JSON knows it.
public enum SearchValue: Sendable, Equatable, Hashable, CustomStringConvertible {
    case integer(Int)
    case number(Double)
    case text(String)
    case null

    var json: Any {
        switch self {
        case .integer(let value): value
        case .number(let value): value
        case .text(let value): value
        case .null: NSNull()
        }
    }

    public var description: String {
        switch self {
        case .integer(let value): String(value)
        case .number(let value): String(format: "%.6g", value)
        case .text(let value): value
        case .null: "null"
        }
    }
}

/// How a training job searches hyperparameters (`tuning` in the API, `--tune` in the CLI).
public struct TuningOptions: Sendable, Equatable, Codable {
    public enum Method: String, Sendable, Codable {
        /// Every trial on all the training rows, cross-validated.
        case random
        /// Many trials on a third of the rows, the best third of them on three times as many,
        /// and so on up to all the rows (successive halving, factor 3).
        case halving
    }

    public var trials: Int
    public var budgetSeconds: Double
    public var method: Method
    public var folds: Int

    public init(trials: Int = 20, budgetSeconds: Double = 300, method: Method = .random, folds: Int = 3) {
        self.trials = trials
        self.budgetSeconds = budgetSeconds
        self.method = method
        self.folds = folds
    }

    enum CodingKeys: String, CodingKey {
        case trials
        case budgetSeconds = "budget_seconds"
        case method, folds
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = TuningOptions()
        trials = try container.decodeIfPresent(Int.self, forKey: .trials) ?? defaults.trials
        budgetSeconds = try container.decodeIfPresent(Double.self, forKey: .budgetSeconds) ?? defaults.budgetSeconds
        method = try container.decodeIfPresent(Method.self, forKey: .method) ?? defaults.method
        folds = try container.decodeIfPresent(Int.self, forKey: .folds) ?? defaults.folds
    }

    /// What a request may not ask for, by field name.
    public func problems() -> [(field: String, problem: String)] {
        var problems: [(field: String, problem: String)] = []
        if !(1...500).contains(trials) { problems.append(("trials", "must be from 1 to 500")) }
        if !(budgetSeconds > 0 && budgetSeconds <= 86_400) { problems.append(("budget_seconds", "must be more than 0 and at most 86400")) }
        if !(2...10).contains(folds) { problems.append(("folds", "must be from 2 to 10")) }
        return problems
    }
}

/// One evaluated configuration.
public struct TuningTrial: Sendable {
    public var number: Int
    /// The sampled values (the fixed ones are not repeated here).
    public var parameters: [String: SearchValue]
    /// Cross-validated mean of the search metric.
    public var score: Double
    /// Cross-validated means of every metric.
    public var metrics: [String: Double]
    /// Training rows the trial was fitted on (fewer in the early rungs of halving).
    public var rows: Int
    public var seconds: Double
}

/// What a search did and found.
public struct TuningReport: Sendable {
    public var method: TuningOptions.Method
    /// The metric trials were ranked by.
    public var metric: Metric
    public var trials: [TuningTrial]
    /// The best configuration, fixed values included, as the model's hyperparameters JSON.
    public var bestParameters: Data
    public var best: TuningTrial
    public var seconds: Double
    /// True when the time budget ended the search before every trial ran.
    public var stoppedByBudget: Bool
}

/// Random search or successive halving over a model type's search space, each configuration
/// cross-validated on the training rows only: the held-out test rows are never seen.
public enum HyperparameterSearch {
    /// The spaces searched by default: the parameters that matter most for each model type, over
    /// ranges that hold the usual good values.
    public static func space(for modelType: String) -> [String: SearchDimension] {
        switch modelType {
        case LogisticRegression.modelType:
            return ["C": .logUniform(1e-3...1e2)]
        case DecisionTree.modelType:
            return ["max_depth": .integer(2...16), "min_samples_leaf": .logInteger(1...50)]
        case RandomForest.modelType:
            return [
                "max_depth": .choice([.integer(6), .integer(10), .integer(16), .null]), "min_samples_leaf": .logInteger(1...20),
                "max_features": .choice([.text("sqrt"), .number(0.5), .number(1.0)]),
            ]
        case GradientBoosting.modelType:
            return [
                "learning_rate": .logUniform(0.02...0.3), "num_leaves": .logInteger(8...96), "min_data_in_leaf": .logInteger(5...100),
                "lambda_l2": .logUniform(1e-3...10), "feature_fraction": .uniform(0.6...1),
                "max_depth": .choice([.integer(4), .integer(6), .integer(8), .null]),
            ]
        default:
            return [:]
        }
    }

    /// Searches `modelType`'s space, keeping the keys of `fixed` (the request's own
    /// hyperparameters) as they are.
    public static func run(
        modelType: String, fixed: Data?, features: FeatureMatrix, targets: Targets, weights: [Double]?, metric: Metric,
        options: TuningOptions, seed: UInt64, progress: FitProgress? = nil
    ) throws -> TuningReport {
        let fixedValues = try fixed.map { try JSONSerialization.jsonObject(with: $0) as? [String: Any] ?? [:] } ?? [:]
        let space = space(for: modelType).filter { fixedValues[$0.key] == nil }
        var generator = SeededGenerator(seed: seed &+ 0x7475_6E65)
        // The first trial is the defaults (with the fixed values): a search never does worse than not searching.
        var candidates: [[String: SearchValue]] = [[:]]
        while candidates.count < (space.isEmpty ? 1 : options.trials) {
            candidates.append(space.mapValues { $0.sample(&generator) })
        }
        let started = ContinuousClock.now
        var elapsed: Double { (ContinuousClock.now - started).seconds }
        var trials: [TuningTrial] = []
        var stoppedByBudget = false

        func evaluate(_ values: [String: SearchValue], rows: [Int]) throws -> TuningTrial {
            let trialStart = ContinuousClock.now
            let model = try ModelCatalog.make(modelType, parameters: try encoded(fixedValues, values))
            let subset =
                rows.count == targets.values.count
                ? (features, targets, weights)
                : (
                    features.selecting(rows: rows), targets.selecting(rows: rows), weights.map { w in rows.map { w[$0] } }
                )
            // With the progress, whose fits check for a cancelled job or a spent time limit.
            let folds = try CrossValidation.run(
                model, features: subset.0, targets: subset.1, folds: options.folds, seed: seed, weights: subset.2, progress: progress)
            var means: [String: Double] = [:]
            for fold in folds { for (name, value) in fold.metrics { means[name, default: 0] += value / Double(folds.count) } }
            let score = means[metric.rawValue] ?? (metric.higherIsBetter ? -.infinity : .infinity)
            return TuningTrial(
                number: trials.count + 1, parameters: values, score: score, metrics: means, rows: rows.count,
                seconds: (ContinuousClock.now - trialStart).seconds)
        }
        func better(_ a: TuningTrial, _ b: TuningTrial) -> Bool { metric.higherIsBetter ? a.score > b.score : a.score < b.score }

        let everyRow = Array(0..<targets.values.count)
        var survivors = candidates
        var rung = rungs(options, candidates: candidates.count, rows: everyRow.count)
        var lastRung: [TuningTrial] = []
        var previousRung: [TuningTrial] = []
        while true {
            let rows = rung.fraction >= 1 ? everyRow : subsample(targets, fraction: rung.fraction, seed: seed &+ UInt64(rung.index))
            previousRung = lastRung
            lastRung = []
            for values in survivors {
                // The defaults always run; the others only while the budget lasts.
                if !trials.isEmpty, elapsed > options.budgetSeconds {
                    stoppedByBudget = true
                    break
                }
                let trial = try evaluate(values, rows: rows)
                trials.append(trial)
                lastRung.append(trial)
            }
            guard !stoppedByBudget, rung.fraction < 1, lastRung.count > 1 else { break }
            let keep = max(1, Int((Double(lastRung.count) / 3).rounded(.up)))
            survivors = lastRung.sorted(by: better).prefix(keep).map(\.parameters)
            rung = (rung.index + 1, min(1, rung.fraction * 3))
        }
        // The best of the most complete rung: earlier rungs saw fewer rows, and their scores do
        // not compare with its.
        let pool = lastRung.isEmpty ? previousRung : lastRung
        guard let best = pool.min(by: { better($0, $1) }) ?? trials.first else {
            throw ModelError.invalidParameter(name: "tuning", problem: "no trial ran")
        }
        return TuningReport(
            method: options.method, metric: metric, trials: trials, bestParameters: try encoded(fixedValues, best.parameters), best: best,
            seconds: elapsed, stoppedByBudget: stoppedByBudget)
    }

    /// Fits a search plans, for progress: every trial's folds.
    public static func plannedFits(_ options: TuningOptions, modelType: String) -> Int {
        let candidates = space(for: modelType).isEmpty ? 1 : options.trials
        guard options.method == .halving else { return candidates * options.folds }
        var total = 0
        var remaining = candidates
        var fraction = rungs(options, candidates: candidates, rows: Int.max).fraction
        while true {
            total += remaining * options.folds
            guard fraction < 1, remaining > 1 else { return total }
            remaining = max(1, Int((Double(remaining) / 3).rounded(.up)))
            fraction = min(1, fraction * 3)
        }
    }

    /// Random search: one rung on every row. Halving: a third of the candidates goes on to the
    /// next rung until three or fewer are left for the last, on every row; the first rung gets
    /// 1/3 of the rows per rung after it (at least 200 rows).
    static func rungs(_ options: TuningOptions, candidates: Int, rows: Int) -> (index: Int, fraction: Double) {
        guard options.method == .halving, candidates > 3 else { return (0, 1) }
        var steps = 0
        var remaining = candidates
        while remaining > 3 {
            remaining = Int((Double(remaining) / 3).rounded(.up))
            steps += 1
        }
        let fraction = max(1 / pow(3, Double(steps)), min(1, 200 / Double(max(1, rows))))
        return (0, fraction)
    }

    /// A stratified share of the rows for classification, a plain one for regression.
    static func subsample(_ targets: Targets, fraction: Double, seed: UInt64) -> [Int] {
        let count = targets.values.count
        let split =
            targets.task == .classification
            ? Splitting.stratified(classes: targets.classes, classCount: targets.classCount, testSize: fraction, seed: seed)
            : Splitting.shuffled(count: count, testSize: fraction, seed: seed)
        return split.test
    }

    static func encoded(_ fixed: [String: Any], _ values: [String: SearchValue]) throws -> Data {
        var merged = fixed
        for (key, value) in values { merged[key] = value.json }
        return try JSONSerialization.data(withJSONObject: merged, options: [.sortedKeys])
    }
}
