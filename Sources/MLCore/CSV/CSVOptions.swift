/// How to read a CSV file. The defaults detect everything from the data.
public struct CSVOptions: Sendable {
    /// Field separator; nil detects `,`, `;` or tab from the header line.
    public var delimiter: UInt8?
    /// Whether `48,85` is a number. nil: allowed whenever the delimiter is not a comma.
    public var decimalComma: Bool?
    /// Field values read as missing (compared exactly, after trimming spaces).
    public var missingTokens: Set<String>
    /// Infer numeric/boolean/date-time columns; false keeps every column categorical.
    public var inferTypes: Bool
    /// Bytes read from disk at a time.
    public var chunkSize: Int
    /// Kinds fixed in advance by column name (a schema written with the data), instead of inferred:
    /// a processed split whose test rows happen to be all digits must still read back as text.
    public var columnKinds: [String: ColumnKind]
    /// The most fields (rows × columns) the reader holds: parsing keeps 8 bytes of offsets per
    /// field plus the typed columns in memory, so this bounds what one file can cost. nil: no bound.
    public var maxFields: Int?

    public static let defaultMissingTokens: Set<String> = ["", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "?"]

    public init(
        delimiter: UInt8? = nil,
        decimalComma: Bool? = nil,
        missingTokens: Set<String> = CSVOptions.defaultMissingTokens,
        inferTypes: Bool = true,
        chunkSize: Int = 1 << 20,
        columnKinds: [String: ColumnKind] = [:],
        maxFields: Int? = nil
    ) {
        self.delimiter = delimiter
        self.decimalComma = decimalComma
        self.missingTokens = missingTokens
        self.inferTypes = inferTypes
        self.chunkSize = chunkSize
        self.columnKinds = columnKinds
        self.maxFields = maxFields
    }

    /// Options that read every column of `schema` as the kind it declares.
    public static func conforming(to schema: TableSchema) -> CSVOptions {
        CSVOptions(columnKinds: Dictionary(schema.columns.map { ($0.name, $0.kind) }, uniquingKeysWith: { first, _ in first }))
    }
}
