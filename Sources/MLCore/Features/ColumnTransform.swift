#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The fitted statistics for one input column, and how it becomes feature columns.
public enum ColumnTransform: Codable, Sendable, Equatable {
    case numeric(NumericTransform)
    case boolean(BooleanTransform)
    case categorical(CategoricalTransform)
    case dateTime(DateTimeTransform)

    /// The kind of column the transform reads.
    public var inputKind: ColumnKind {
        switch self {
        case .numeric: .numeric
        case .boolean: .boolean
        case .categorical: .categorical
        case .dateTime: .dateTime
        }
    }

    public var inputName: String {
        switch self {
        case .numeric(let transform): transform.name
        case .boolean(let transform): transform.name
        case .categorical(let transform): transform.name
        case .dateTime(let transform): transform.name
        }
    }

    var outputNames: [String] {
        switch self {
        case .numeric(let transform):
            [transform.name] + (transform.indicator ? ["\(transform.name)__missing"] : [])
        case .boolean(let transform):
            [transform.name]
        case .categorical(let transform):
            switch transform.encoding {
            case .ordinal: [transform.name]
            case .oneHot: transform.kept.map { "\(transform.name)=\($0)" } + (transform.hasInfrequent ? ["\(transform.name)=__infrequent__"] : [])
            }
        case .dateTime(let transform):
            transform.expand ? DateTimeTransform.parts.map { "\(transform.name)__\($0)" } : [transform.name]
        }
    }

    /// Per output: the category count of an ordinal code column, 0 for anything else.
    var categoryCounts: [Int] {
        if case .categorical(let transform) = self, transform.encoding == .ordinal { return [transform.kept.count] }
        return outputNames.map { _ in 0 }
    }

    /// Whether standard scaling applies to these outputs (0/1 indicator columns are left alone).
    var scalable: [Bool] {
        switch self {
        case .numeric(let transform): [true] + (transform.indicator ? [false] : [])
        case .boolean: [false]
        case .categorical(let transform): transform.encoding == .ordinal ? [false] : outputNames.map { _ in false }
        case .dateTime: outputNames.map { _ in true }
        }
    }
}

public struct NumericTransform: Codable, Sendable, Equatable {
    public var name: String
    /// Training median: the value imputed for missing inputs.
    public var fill: Double
    public var indicator: Bool
}

public struct BooleanTransform: Codable, Sendable, Equatable {
    public var name: String
    /// Most frequent training value (0 or 1), imputed for missing inputs.
    public var fill: Double
}

public struct CategoricalTransform: Codable, Sendable, Equatable {
    public var name: String
    /// Most frequent training category, imputed for missing inputs.
    public var fill: String?
    /// Categories with their own feature (one-hot, most frequent first) or code (ordinal, sorted).
    public var kept: [String]
    /// One-hot: rare training categories share one column.
    public var infrequent: [String]
    public var encoding: CategoricalEncoding

    var hasInfrequent: Bool { !infrequent.isEmpty }
}

public struct DateTimeTransform: Codable, Sendable, Equatable {
    public var name: String
    /// Training median (seconds since 1970), imputed for missing inputs.
    public var fill: Double
    public var expand: Bool

    static let parts = ["year", "month", "weekday", "hour", "month_sin", "month_cos", "weekday_sin", "weekday_cos", "hour_sin", "hour_cos"]

    func expanded(_ seconds: Double) -> [Double] {
        guard expand else { return [seconds] }
        let parts = DateTimeParsing.components(seconds)
        let month = Double(parts.month - 1)
        let weekday = Double(parts.weekday)
        let hour = Double(parts.hour)
        let tau = 2 * Double.pi
        return [
            Double(parts.year), Double(parts.month), weekday, hour,
            sin(tau * month / 12), cos(tau * month / 12),
            sin(tau * weekday / 7), cos(tau * weekday / 7),
            sin(tau * hour / 24), cos(tau * hour / 24),
        ]
    }
}
