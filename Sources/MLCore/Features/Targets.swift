/// The training target as numbers: class indices (as Double) for classification, values for regression.
public struct Targets: Sendable, Equatable {
    public var task: TaskKind
    public var values: [Double]
    /// Class labels in index order; empty for regression.
    public var labels: [String]

    public var classCount: Int { labels.count }
    public var classes: [Int] { values.map { Int($0) } }

    public enum EncodingError: Error, Sendable, Equatable, CustomStringConvertible {
        case missingColumn(String)
        case missingValue(row: Int)
        case unknownLabel(String)
        case notNumeric(String)

        public var description: String {
            switch self {
            case .missingColumn(let name): "target column '\(name)' is missing"
            case .missingValue(let row): "target is missing in row \(row + 1)"
            case .unknownLabel(let label): "target label '\(label)' was not seen in training"
            case .notNumeric(let name): "regression target '\(name)' is not numeric"
            }
        }
    }

    /// Encodes `table[target]` against known class labels (from preprocessing), or as numbers.
    public init(table: Table, target: String, task: TaskKind, labels: [String]) throws(EncodingError) {
        guard let column = table.column(named: target) else { throw .missingColumn(target) }
        self.task = task
        switch task {
        case .regression:
            guard case .numeric(let values) = column.storage else { throw .notNumeric(target) }
            if let row = values.firstIndex(where: \.isNaN) { throw .missingValue(row: row) }
            self.values = values
            self.labels = []
        case .classification:
            let index = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
            var values: [Double] = []
            values.reserveCapacity(column.count)
            for row in 0..<column.count {
                guard !column.isMissing(row) else { throw .missingValue(row: row) }
                let label = column.text(at: row)
                guard let position = index[label] else { throw .unknownLabel(label) }
                values.append(Double(position))
            }
            self.values = values
            self.labels = labels
        }
    }

    public init(task: TaskKind, values: [Double], labels: [String]) {
        self.task = task
        self.values = values
        self.labels = labels
    }

    public func selecting(rows: [Int]) -> Targets {
        Targets(task: task, values: rows.map { values[$0] }, labels: labels)
    }
}

/// scikit-learn's `class_weight="balanced"`: each sample weighs n / (k × n_its_class).
public enum ClassWeights {
    public static func balanced(_ targets: Targets) -> [Double] {
        var counts = [Int](repeating: 0, count: targets.classCount)
        for label in targets.classes { counts[label] += 1 }
        let present = counts.filter { $0 > 0 }.count
        let total = Double(targets.values.count)
        return targets.classes.map { total / (Double(present) * Double(counts[$0])) }
    }

    /// The `class_weight` hyperparameter accepts "balanced" or nothing.
    static func validate(_ classWeight: String?) throws {
        guard classWeight == nil || classWeight == "balanced" else {
            throw ModelError.invalidParameter(name: "class_weight", problem: "expected \"balanced\" or null")
        }
    }

    /// Sample weights (1 when absent), multiplied by balanced class weights when asked for.
    static func combine(_ weights: [Double]?, classWeight: String?, targets: Targets) -> [Double] {
        var combined = weights ?? Array(repeating: 1, count: targets.values.count)
        if classWeight == "balanced", targets.task == .classification {
            for (index, weight) in balanced(targets).enumerated() { combined[index] *= weight }
        }
        return combined
    }
}
