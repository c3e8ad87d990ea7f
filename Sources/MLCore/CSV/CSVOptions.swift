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

    public static let defaultMissingTokens: Set<String> = ["", "NA", "N/A", "n/a", "NaN", "nan", "null", "NULL", "None", "?"]

    public init(
        delimiter: UInt8? = nil,
        decimalComma: Bool? = nil,
        missingTokens: Set<String> = CSVOptions.defaultMissingTokens,
        inferTypes: Bool = true,
        chunkSize: Int = 1 << 20
    ) {
        self.delimiter = delimiter
        self.decimalComma = decimalComma
        self.missingTokens = missingTokens
        self.inferTypes = inferTypes
        self.chunkSize = chunkSize
    }
}
