/// An RFC 4180 state machine fed with byte chunks of any size: quoted fields, doubled quotes,
/// embedded newlines, CRLF or LF. The first record becomes the header; later records are
/// appended field by field into per-column buffers.
struct CSVTokenizer {
    private enum State {
        case fieldStart
        case unquoted
        case quoted
        case quoteInQuoted
    }

    let delimiter: UInt8
    private var state = State.fieldStart
    private var field: [UInt8] = []
    private var record: [[UInt8]] = []
    private(set) var header: [[UInt8]]?
    private(set) var columns: [FieldBuffer] = []
    /// Physical line where each data row starts, for error messages found while typing columns.
    private(set) var rowLines: [Int32] = []

    private var line = 1
    /// Line on which the current record began (a quoted field may span several lines).
    private var recordLine = 1
    private var column = 0
    private var pendingCR = false
    private var quoteStartLine = 1

    init(delimiter: UInt8) {
        self.delimiter = delimiter
    }

    var rowCount: Int { rowLines.count }

    mutating func consume(_ chunk: UnsafeBufferPointer<UInt8>) throws(CSVError) {
        let quote = UInt8(ascii: "\"")
        let newline = UInt8(ascii: "\n")
        let carriageReturn = UInt8(ascii: "\r")
        for byte in chunk {
            if pendingCR {
                pendingCR = false
                if byte == newline { continue }
            }
            switch state {
            case .fieldStart:
                if byte == quote {
                    state = .quoted
                    quoteStartLine = line
                } else if byte == delimiter {
                    try endField()
                } else if byte == newline || byte == carriageReturn {
                    pendingCR = byte == carriageReturn
                    try endRecord()
                    line += 1
                } else {
                    append(byte)
                    state = .unquoted
                }
            case .unquoted:
                if byte == delimiter {
                    try endField()
                    state = .fieldStart
                } else if byte == newline || byte == carriageReturn {
                    pendingCR = byte == carriageReturn
                    try endRecord()
                    line += 1
                    state = .fieldStart
                } else {
                    append(byte)
                }
            case .quoted:
                if byte == quote {
                    state = .quoteInQuoted
                } else {
                    if byte == newline { line += 1 }
                    append(byte)
                }
            case .quoteInQuoted:
                if byte == quote {
                    append(quote)
                    state = .quoted
                } else if byte == delimiter {
                    try endField()
                    state = .fieldStart
                } else if byte == newline || byte == carriageReturn {
                    pendingCR = byte == carriageReturn
                    try endRecord()
                    line += 1
                    state = .fieldStart
                } else {
                    throw CSVError(.unexpectedCharacterAfterQuote, line: line, column: columnName(column))
                }
            }
        }
    }

    /// Flushes a last record without a trailing newline.
    mutating func finish() throws(CSVError) {
        switch state {
        case .quoted:
            throw CSVError(.unterminatedQuote, line: quoteStartLine, column: columnName(column))
        case .unquoted, .quoteInQuoted:
            try endRecord()
        case .fieldStart:
            if column > 0 { try endRecord() }
        }
        state = .fieldStart
    }

    private mutating func append(_ byte: UInt8) {
        if header == nil {
            field.append(byte)
        } else if column < columns.count {
            columns[column].bytes.append(byte)
        }
    }

    private mutating func endField() throws(CSVError) {
        if header == nil {
            record.append(field)
            field.removeAll(keepingCapacity: true)
        } else {
            guard column < columns.count else {
                throw CSVError(.raggedRow(expected: columns.count, actual: column + 1), line: recordLine)
            }
            columns[column].ends.append(columns[column].bytes.count)
        }
        column += 1
    }

    /// Called at a line break outside quotes; the caller then advances `line`.
    private mutating func endRecord() throws(CSVError) {
        defer { recordLine = line + 1 }
        // An empty line between records is not a record.
        if column == 0 && state == .fieldStart { return }
        try endField()
        if let header {
            guard column == header.count else {
                throw CSVError(.raggedRow(expected: header.count, actual: column), line: recordLine)
            }
            rowLines.append(Int32(truncatingIfNeeded: recordLine))
        } else {
            header = record
            columns = Array(repeating: FieldBuffer(), count: record.count)
            record = []
        }
        column = 0
    }

    func columnName(_ index: Int) -> String? {
        guard let header, index < header.count else { return nil }
        return String(decoding: header[index], as: UTF8.self)
    }

    mutating func reserve(estimatedBytes: Int) {
        guard let header, !header.isEmpty else { return }
        let perColumn = estimatedBytes / header.count
        for index in columns.indices { columns[index].reserve(bytes: perColumn, fields: perColumn / 4) }
    }

    func line(ofRow row: Int) -> Int { Int(rowLines[row]) }
}
