import Foundation

public enum TransformError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingColumn(String)
    case kindMismatch(column: String, expected: ColumnKind, actual: ColumnKind)

    public var description: String {
        switch self {
        case .missingColumn(let name): "\(name): column is missing"
        case .kindMismatch(let column, let expected, let actual): "\(column): expected \(expected.rawValue) values, got \(actual.rawValue)"
        }
    }
}

/// Every problem found in one record, each naming its field.
public struct RecordIssues: Error, Sendable, Equatable {
    public var issues: [FieldIssue]

    public init(issues: [FieldIssue]) {
        self.issues = issues
    }
}

/// A record turned into features, with the fields the pipeline did not use.
public struct TransformedRecord: Sendable, Equatable {
    public var features: [Double]
    public var unknownFields: [String]
}

extension FeaturePipeline {
    /// Features for every row of `table`, which must hold the input columns with their training kinds.
    public func transform(_ table: Table) throws(TransformError) -> FeatureMatrix {
        var matrix = try unscaledChecked(table)
        scale(&matrix.values, width: matrix.columns)
        return matrix
    }

    /// Features for one record. Every input column must be present; `null` is accepted where
    /// training saw missing values (it is imputed); extra fields are reported back.
    public func transform(record: [String: RawValue]) -> Result<TransformedRecord, RecordIssues> {
        var issues: [FieldIssue] = []
        var features: [Double] = []
        features.reserveCapacity(featureNames.count)
        for (transform, schema) in zip(transforms, inputSchema) {
            guard let raw = record[schema.name] else {
                issues.append(FieldIssue(field: schema.name, problem: "required field is missing"))
                continue
            }
            switch RecordValue.parse(raw, as: schema.kind) {
            case .failure(let problem):
                issues.append(FieldIssue(field: schema.name, problem: problem.text))
            case .success(nil) where !schema.nullable:
                issues.append(FieldIssue(field: schema.name, problem: "must not be null"))
            case .success(let value):
                append(value, through: transform, to: &features)
            }
        }
        guard issues.isEmpty else { return .failure(RecordIssues(issues: issues)) }
        scale(&features, width: featureNames.count)
        // Every input was found above, so only a record with more fields has unknown ones.
        guard record.count > inputSchema.count else { return .success(TransformedRecord(features: features, unknownFields: [])) }
        let known = Set(inputSchema.map(\.name))
        return .success(TransformedRecord(features: features, unknownFields: record.keys.filter { !known.contains($0) }.sorted()))
    }

    func unscaled(_ table: Table) -> FeatureMatrix {
        // Only called on the table the pipeline was fitted on, which always matches.
        (try? unscaledChecked(table)) ?? FeatureMatrix(rows: 0, columns: featureNames.count, values: [], names: featureNames)
    }

    private func unscaledChecked(_ table: Table) throws(TransformError) -> FeatureMatrix {
        let width = featureNames.count
        var values = [Double](repeating: 0, count: table.rowCount * width)
        var offset = 0
        for transform in transforms {
            guard let column = table.column(named: transform.inputName) else { throw .missingColumn(transform.inputName) }
            let outputs = transform.outputNames.count
            switch (transform, column.storage) {
            case (.numeric(let fitted), .numeric(let input)):
                for row in 0..<table.rowCount {
                    let value = input[row]
                    values[row * width + offset] = value.isNaN ? fitted.fill : value
                    if fitted.indicator { values[row * width + offset + 1] = value.isNaN ? 1 : 0 }
                }
            case (.boolean(let fitted), .boolean(let input)):
                for row in 0..<table.rowCount { values[row * width + offset] = input[row] < 0 ? fitted.fill : Double(input[row]) }
            case (.dateTime(let fitted), .dateTime(let input)):
                for row in 0..<table.rowCount {
                    for (part, value) in fitted.expanded(input[row].isNaN ? fitted.fill : input[row]).enumerated() {
                        values[row * width + offset + part] = value
                    }
                }
            case (.categorical(let fitted), .categorical(let codes, let labels)):
                // Resolve each label of this table's dictionary once.
                let positions = labels.map { fitted.position(of: $0) }
                let fillPosition = fitted.fill.map { fitted.position(of: $0) } ?? .unknown
                for row in 0..<table.rowCount {
                    let position = codes[row] < 0 ? fillPosition : positions[Int(codes[row])]
                    fitted.write(position, into: &values, at: row * width + offset)
                }
            default:
                throw .kindMismatch(
                    column: transform.inputName, expected: inputSchema.first { $0.name == transform.inputName }?.kind ?? column.kind, actual: column.kind)
            }
            offset += outputs
        }
        return FeatureMatrix(
            rows: table.rowCount, columns: width, values: values, names: featureNames, categoryCounts: transforms.flatMap(\.categoryCounts))
    }

    private func append(_ value: RecordValue?, through transform: ColumnTransform, to features: inout [Double]) {
        switch transform {
        case .numeric(let fitted):
            let number = value?.number ?? .nan
            features.append(number.isNaN ? fitted.fill : number)
            if fitted.indicator { features.append(number.isNaN ? 1 : 0) }
        case .boolean(let fitted):
            features.append(value?.number ?? fitted.fill)
        case .dateTime(let fitted):
            features.append(contentsOf: fitted.expanded(value?.number ?? fitted.fill))
        case .categorical(let fitted):
            let label = value?.label ?? fitted.fill
            var encoded = [Double](repeating: 0, count: fitted.encoding == .ordinal ? 1 : fitted.kept.count + (fitted.hasInfrequent ? 1 : 0))
            fitted.write(label.map { fitted.position(of: $0) } ?? .unknown, into: &encoded, at: 0)
            features.append(contentsOf: encoded)
        }
    }

    private func scale(_ values: inout [Double], width: Int) {
        guard options.scale, width > 0 else { return }
        for index in values.indices {
            let column = index % width
            values[index] = (values[index] - means[column]) / scales[column]
        }
    }
}

/// Where a category lands among a categorical transform's outputs.
enum CategoryPosition: Equatable {
    case kept(Int)
    case infrequent
    case unknown
}

extension CategoricalTransform {
    func position(of label: String) -> CategoryPosition {
        if let index = kept.firstIndex(of: label) { return .kept(index) }
        if infrequent.contains(label) { return .infrequent }
        return .unknown
    }

    /// One-hot: a 1 in the category's column (all zeros for unknown categories).
    /// Ordinal: the category's position in sorted order, -1 when unknown.
    func write(_ position: CategoryPosition, into values: inout [Double], at offset: Int) {
        switch (encoding, position) {
        case (.ordinal, .kept(let index)): values[offset] = Double(index)
        case (.ordinal, _): values[offset] = -1
        case (.oneHot, .kept(let index)): values[offset + index] = 1
        case (.oneHot, .infrequent): values[offset + kept.count] = 1
        case (.oneHot, .unknown): break
        }
    }
}

/// A record field converted to the column's kind.
enum RecordValue {
    case number(Double)
    case label(String)

    var number: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    var label: String? {
        if case .label(let value) = self { return value }
        return nil
    }

    struct Problem: Error {
        let text: String
    }

    /// nil for null; a problem for values of the wrong type.
    static func parse(_ raw: RawValue, as kind: ColumnKind) -> Result<RecordValue?, Problem> {
        switch (kind, raw) {
        case (_, .null):
            return .success(nil)
        case (.numeric, .number(let value)):
            return value.isFinite ? .success(.number(value)) : .failure(Problem(text: "must be a finite number"))
        case (.numeric, .string(let text)):
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite else { return .failure(Problem(text: "expected a number")) }
            return .success(.number(value))
        case (.numeric, .bool):
            return .failure(Problem(text: "expected a number"))
        case (.boolean, .bool(let value)):
            return .success(.number(value ? 1 : 0))
        case (.boolean, .string(let text)):
            switch text.lowercased() {
            case "true": return .success(.number(1))
            case "false": return .success(.number(0))
            default: return .failure(Problem(text: "expected true or false"))
            }
        case (.boolean, .number):
            return .failure(Problem(text: "expected true or false"))
        case (.categorical, .string(let text)):
            return .success(.label(text))
        case (.categorical, .number(let value)):
            return value.isFinite ? .success(.label(NumberFormatting.shortest(value))) : .failure(Problem(text: "expected a category"))
        case (.categorical, .bool(let value)):
            return .success(.label(value ? "true" : "false"))
        case (.dateTime, .string(let text)):
            let bytes = Array(text.utf8)
            let seconds = bytes.withUnsafeBufferPointer { DateTimeParsing.parse($0, 0, $0.count) }
            return seconds.map { .success(.number($0)) } ?? .failure(Problem(text: "expected an ISO 8601 date-time such as 2024-03-01T12:00:00Z"))
        case (.dateTime, .number(let value)):
            return value.isFinite ? .success(.number(value)) : .failure(Problem(text: "expected a date-time"))
        case (.dateTime, .bool):
            return .failure(Problem(text: "expected a date-time"))
        }
    }
}
