/// `build_features`: imputation, encoding, date-time expansion and scaling, fitted on the
/// training table only and applied identically to test tables and to single records.
public struct FeaturePipeline: Codable, Sendable, Equatable {
    public var options: FeatureOptions
    public var target: String
    public var transforms: [ColumnTransform]
    public var featureNames: [String]
    /// Per feature column: subtract `means`, divide by `scales` (0 and 1 where not scaled).
    public var means: [Double]
    public var scales: [Double]
    /// The input columns a record must provide, with their training kinds and categories.
    public var inputSchema: [ColumnSchema]

    enum CodingKeys: String, CodingKey {
        case options, target, transforms
        case featureNames = "feature_names"
        case means, scales
        case inputSchema = "input_schema"
    }

    public enum FitError: Error, Sendable, Equatable, CustomStringConvertible {
        case unknownTarget(String)
        case noFeatures
        case invalidOptions([FieldIssue])

        public var description: String {
            switch self {
            case .unknownTarget(let name): "target: no column named '\(name)'"
            case .noFeatures: "no input columns remain besides the target"
            case .invalidOptions(let issues): issues.map(\.description).joined(separator: "; ")
            }
        }
    }

    /// Learns every statistic from `table` (the training split) and nothing else.
    public static func fit(_ table: Table, target: String, options: FeatureOptions = FeatureOptions()) throws(FitError) -> FeaturePipeline {
        let problems = options.problems()
        guard problems.isEmpty else { throw .invalidOptions(problems) }
        guard table.column(named: target) != nil else { throw .unknownTarget(target) }
        let inputs = table.columns.filter { $0.name != target }
        guard !inputs.isEmpty else { throw .noFeatures }
        let transforms = inputs.map { fitTransform($0, options: options) }
        var pipeline = FeaturePipeline(
            options: options,
            target: target,
            transforms: transforms,
            featureNames: transforms.flatMap(\.outputNames),
            means: [],
            scales: [],
            inputSchema: inputs.map(ColumnSchema.init(describing:))
        )
        pipeline.means = Array(repeating: 0, count: pipeline.featureNames.count)
        pipeline.scales = Array(repeating: 1, count: pipeline.featureNames.count)
        if options.scale {
            let raw = pipeline.unscaled(table)
            let scalable = transforms.flatMap(\.scalable)
            for column in 0..<raw.columns where scalable[column] {
                var sum = 0.0
                for row in 0..<raw.rows { sum += raw[row, column] }
                let mean = raw.rows > 0 ? sum / Double(raw.rows) : 0
                var squares = 0.0
                for row in 0..<raw.rows { squares += (raw[row, column] - mean) * (raw[row, column] - mean) }
                // Population standard deviation, as scikit-learn's StandardScaler; constant columns keep scale 1.
                let deviation = raw.rows > 0 ? (squares / Double(raw.rows)).squareRoot() : 0
                pipeline.means[column] = mean
                pipeline.scales[column] = deviation > 0 ? deviation : 1
            }
        }
        return pipeline
    }

    static func fitTransform(_ column: Column, options: FeatureOptions) -> ColumnTransform {
        switch column.storage {
        case .numeric(let values):
            let present = values.filter { !$0.isNaN }
            return .numeric(
                NumericTransform(
                    name: column.name,
                    fill: Median.of(present) ?? 0,
                    indicator: options.missingIndicators && present.count < values.count
                ))
        case .boolean(let values):
            let trues = values.filter { $0 == 1 }.count
            let falses = values.filter { $0 == 0 }.count
            return .boolean(BooleanTransform(name: column.name, fill: trues > falses ? 1 : 0))
        case .dateTime(let values):
            return .dateTime(
                DateTimeTransform(
                    name: column.name,
                    fill: Median.of(values.filter { !$0.isNaN }) ?? 0,
                    expand: options.expandDateTime
                ))
        case .categorical(let codes, let labels):
            var counts = [Int](repeating: 0, count: labels.count)
            for code in codes where code >= 0 { counts[Int(code)] += 1 }
            let byFrequency = labels.indices.filter { counts[$0] > 0 }
                .sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : labels[$0] < labels[$1] }
            let fill = byFrequency.first.map { labels[$0] }
            switch options.encoding {
            case .ordinal:
                // Sorted labels, as scikit-learn's OrdinalEncoder: ordered codes such as D…J or
                // grade letters keep their natural order, which trees can split on.
                return .categorical(
                    CategoricalTransform(
                        name: column.name, fill: fill, kept: byFrequency.map { labels[$0] }.sorted(), infrequent: [], encoding: .ordinal
                    ))
            case .oneHot:
                let frequent = byFrequency.filter { counts[$0] >= options.minFrequency }.prefix(options.maxCategories)
                let keptSet = Set(frequent)
                return .categorical(
                    CategoricalTransform(
                        name: column.name,
                        fill: fill,
                        kept: frequent.map { labels[$0] },
                        infrequent: byFrequency.filter { !keptSet.contains($0) }.map { labels[$0] },
                        encoding: .oneHot
                    ))
            }
        }
    }
}

enum Median {
    static func of(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count.isMultiple(of: 2) ? (sorted[middle - 1] + sorted[middle]) / 2 : sorted[middle]
    }
}
