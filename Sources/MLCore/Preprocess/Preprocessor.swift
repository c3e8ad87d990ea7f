/// Why a column was removed during preprocessing.
public struct DroppedColumn: Codable, Sendable, Equatable {
    public enum Reason: String, Codable, Sendable {
        case requested
        case tooManyMissing = "too_many_missing"
        case constant
    }

    public var name: String
    public var reason: Reason
    public var detail: String?

    public init(name: String, reason: Reason, detail: String? = nil) {
        self.name = name
        self.reason = reason
        self.detail = detail
    }
}

public struct PreprocessReport: Codable, Sendable, Equatable {
    public var rowsIn: Int
    public var duplicateRowsDropped: Int
    public var missingTargetRowsDropped: Int
    public var droppedColumns: [DroppedColumn]
    public var trainRows: Int
    public var testRows: Int
    public var task: TaskKind
    /// Class labels in their stable (sorted) order; nil for regression.
    public var classLabels: [String]?
    public var trainClassCounts: [String: Int]?
    public var testClassCounts: [String: Int]?
    /// Columns kept but worth a look (identifier-like values).
    public var warnings: [String]

    enum CodingKeys: String, CodingKey {
        case rowsIn = "rows_in"
        case duplicateRowsDropped = "duplicate_rows_dropped"
        case missingTargetRowsDropped = "missing_target_rows_dropped"
        case droppedColumns = "dropped_columns"
        case trainRows = "train_rows"
        case testRows = "test_rows"
        case task
        case classLabels = "class_labels"
        case trainClassCounts = "train_class_counts"
        case testClassCounts = "test_class_counts"
        case warnings
    }
}

public struct PreprocessResult: Sendable {
    public var train: Table
    public var test: Table
    public var schema: TableSchema
    public var report: PreprocessReport

    public init(train: Table, test: Table, schema: TableSchema, report: PreprocessReport) {
        self.train = train
        self.test = test
        self.schema = schema
        self.report = report
    }
}

public enum PreprocessError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidSpec(field: String, problem: String)
    case unknownColumn(field: String, name: String)
    case notEnoughRows(Int)
    case singleClass(String)
    case unsupportedTarget(String)

    public var description: String {
        switch self {
        case .invalidSpec(let field, let problem): "\(field): \(problem)"
        case .unknownColumn(let field, let name): "\(field): no column named '\(name)'"
        case .notEnoughRows(let count): "only \(count) usable rows remain; at least 4 are needed to split"
        case .singleClass(let label): "the target has a single class ('\(label)'); nothing to learn"
        case .unsupportedTarget(let problem): "target: \(problem)"
        }
    }
}

/// `make_dataset` semantics: drop what cannot help, detect the task, split train/test.
public enum Preprocessor {
    public static func run(_ table: Table, spec: PreprocessSpec) throws(PreprocessError) -> PreprocessResult {
        if let (field, problem) = spec.problems().first { throw .invalidSpec(field: field, problem: problem) }
        guard table.column(named: spec.target) != nil else { throw .unknownColumn(field: "target", name: spec.target) }
        for name in spec.drop where table.column(named: name) == nil { throw .unknownColumn(field: "drop", name: name) }

        var dropped = spec.drop.map { DroppedColumn(name: $0, reason: .requested) }
        var working = table.dropping(columns: Set(spec.drop))
        let rowsIn = working.rowCount

        var duplicates = 0
        if spec.dedupe {
            let keep = RowHashing.firstOccurrences(working)
            duplicates = working.rowCount - keep.count
            if duplicates > 0 { working = working.selecting(rows: keep) }
        }
        let targetColumn = working.column(named: spec.target)!
        let withTarget = (0..<working.rowCount).filter { !targetColumn.isMissing($0) }
        let missingTarget = working.rowCount - withTarget.count
        if missingTarget > 0 { working = working.selecting(rows: withTarget) }
        guard working.rowCount >= 4 else { throw .notEnoughRows(working.rowCount) }

        // One profile per column decides the drops (too many missing, constant) and the warnings.
        var removed = Set<String>()
        var warnings: [String] = []
        for column in working.columns where column.name != spec.target {
            let profile = ColumnProfile(column: column, rows: working.rowCount, topValues: 0)
            if profile.missingFraction > spec.maxMissingFraction {
                removed.insert(column.name)
                dropped.append(
                    DroppedColumn(
                        name: column.name, reason: .tooManyMissing, detail: "\(Int((profile.missingFraction * 100).rounded()))% missing"
                    ))
            } else if profile.flags.contains(.constant) {
                removed.insert(column.name)
                dropped.append(DroppedColumn(name: column.name, reason: .constant))
            } else if profile.flags.contains(.idLike) {
                warnings.append("'\(column.name)' looks like an identifier (every value distinct)")
            }
        }
        working = working.dropping(columns: removed)

        let target = working.column(named: spec.target)!
        let task: TaskKind
        if let requested = spec.task { task = requested } else { task = try detectTask(target) }

        let split: (train: [Int], test: [Int])
        var labels: [String]?
        var classOfRow: [Int] = []
        switch task {
        case .classification:
            let encoded = try TargetEncoding.classes(of: target)
            labels = encoded.labels
            classOfRow = encoded.classes
            guard encoded.labels.count >= 2 else { throw .singleClass(encoded.labels.first ?? "") }
            split = Splitting.stratified(classes: encoded.classes, classCount: encoded.labels.count, testSize: spec.testSize, seed: spec.seed)
        case .regression:
            guard case .numeric = target.storage else {
                throw .unsupportedTarget("regression needs a numeric target, '\(spec.target)' is \(target.kind.rawValue)")
            }
            split = Splitting.shuffled(count: working.rowCount, testSize: spec.testSize, seed: spec.seed)
        }

        func counts(_ rows: [Int]) -> [String: Int]? {
            guard let labels else { return nil }
            var result: [String: Int] = [:]
            for row in rows { result[labels[classOfRow[row]], default: 0] += 1 }
            return result
        }
        let report = PreprocessReport(
            rowsIn: rowsIn,
            duplicateRowsDropped: duplicates,
            missingTargetRowsDropped: missingTarget,
            droppedColumns: dropped,
            trainRows: split.train.count,
            testRows: split.test.count,
            task: task,
            classLabels: labels,
            trainClassCounts: counts(split.train),
            testClassCounts: counts(split.test),
            warnings: warnings
        )
        return PreprocessResult(
            train: working.selecting(rows: split.train),
            test: working.selecting(rows: split.test),
            schema: working.schema,
            report: report
        )
    }

    /// Classification for text and boolean targets, and for numbers that are a handful of integers.
    public static func detectTask(_ target: Column) throws(PreprocessError) -> TaskKind {
        switch target.storage {
        case .categorical, .boolean:
            return .classification
        case .dateTime:
            throw .unsupportedTarget("a date-time column cannot be a target")
        case .numeric(let values):
            let present = values.filter { !$0.isNaN }
            let distinct = Set(present)
            let integral = present.allSatisfy { $0 == $0.rounded() }
            return integral && distinct.count <= 20 ? .classification : .regression
        }
    }
}
