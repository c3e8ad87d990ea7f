/// An RFC 4180 state machine over a growing byte buffer (the file, appended chunk by chunk):
/// quoted fields, doubled quotes, embedded newlines, CRLF or LF. The first record becomes the
/// header; later records become per-column field offsets. Doubled quotes are collapsed in place,
/// so every field is one contiguous span of the buffer.
struct CSVTokenizer {
    private enum State {
        case fieldStart
        case unquoted
        case quoted
        case quoteInQuoted
    }

    let delimiter: UInt8
    private var state = State.fieldStart
    private(set) var header: [[UInt8]]?
    private var headerFields: [[UInt8]] = []
    /// Row-major (start, end) offset pairs of every data field: one flat array, one append per bound.
    let fields = OffsetStore()
    private(set) var columnCount = 0
    /// Physical line where each data row starts, for error messages found while typing columns.
    private(set) var rowLines: [Int32] = []

    private var line = 1
    /// Line on which the current record began (a quoted field may span several lines).
    private var recordLine = 1
    private var column = 0
    private var pendingCR = false
    private var quoteStartLine = 1
    /// Current field: first byte, and where its next byte is written (behind the read position
    /// once a doubled quote has been collapsed).
    private var fieldStart = 0
    private var writeIndex = 0
    private var fieldWasQuoted = false

    init(delimiter: UInt8) {
        self.delimiter = delimiter
    }

    var rowCount: Int { rowLines.count }

    /// Tokenizes `buffer[from...]`; earlier bytes were consumed by previous calls.
    mutating func consume(_ buffer: UnsafeMutableBufferPointer<UInt8>, from start: Int) throws(CSVError) {
        let quote = UInt8(ascii: "\"")
        let newline = UInt8(ascii: "\n")
        let carriageReturn = UInt8(ascii: "\r")
        let count = buffer.count
        var index = start
        while index < count {
            if pendingCR {
                pendingCR = false
                if buffer[index] == newline {
                    index += 1
                    continue
                }
            }
            switch state {
            case .fieldStart:
                if buffer[index] == quote {
                    state = .quoted
                    fieldWasQuoted = true
                    quoteStartLine = line
                    index += 1
                } else {
                    state = .unquoted
                }
                fieldStart = index
                writeIndex = index
            case .unquoted:
                var end = index
                while end < count {
                    let byte = buffer[end]
                    if byte == delimiter || byte == newline || byte == carriageReturn { break }
                    end += 1
                }
                writeIndex = end
                guard end < count else { return }
                let byte = buffer[end]
                if byte == delimiter {
                    try endField(buffer)
                } else {
                    pendingCR = byte == carriageReturn
                    try endRecord(buffer)
                    line += 1
                }
                state = .fieldStart
                index = end + 1
            case .quoted:
                // Bytes move left only after a doubled quote; until then reading and writing coincide.
                if writeIndex == index {
                    while index < count, buffer[index] != quote {
                        if buffer[index] == newline { line += 1 }
                        index += 1
                    }
                    writeIndex = index
                } else {
                    while index < count, buffer[index] != quote {
                        if buffer[index] == newline { line += 1 }
                        buffer[writeIndex] = buffer[index]
                        writeIndex += 1
                        index += 1
                    }
                }
                guard index < count else { return }
                state = .quoteInQuoted
                index += 1
            case .quoteInQuoted:
                let byte = buffer[index]
                if byte == quote {
                    buffer[writeIndex] = quote
                    writeIndex += 1
                    state = .quoted
                } else if byte == delimiter {
                    try endField(buffer)
                    state = .fieldStart
                } else if byte == newline || byte == carriageReturn {
                    pendingCR = byte == carriageReturn
                    try endRecord(buffer)
                    line += 1
                    state = .fieldStart
                } else {
                    throw CSVError(.unexpectedCharacterAfterQuote, line: line, column: columnName(column))
                }
                index += 1
            }
        }
    }

    /// Flushes a last record without a trailing newline.
    mutating func finish(_ buffer: UnsafeMutableBufferPointer<UInt8>) throws(CSVError) {
        switch state {
        case .quoted:
            throw CSVError(.unterminatedQuote, line: quoteStartLine, column: columnName(column))
        case .unquoted:
            writeIndex = buffer.count
            try endRecord(buffer)
        case .quoteInQuoted:
            try endRecord(buffer)
        case .fieldStart:
            if column > 0 {
                fieldStart = buffer.count
                writeIndex = buffer.count
                try endRecord(buffer)
            }
        }
        state = .fieldStart
    }

    private mutating func endField(_ buffer: UnsafeMutableBufferPointer<UInt8>) throws(CSVError) {
        if header == nil {
            headerFields.append(Array(buffer[fieldStart..<writeIndex]))
        } else {
            guard column < columnCount else {
                throw CSVError(.raggedRow(expected: columnCount, actual: column + 1), line: recordLine)
            }
            fields.append(fieldStart, writeIndex)
        }
        column += 1
        fieldWasQuoted = false
    }

    /// Called at a line break outside quotes; the caller then advances `line`.
    private mutating func endRecord(_ buffer: UnsafeMutableBufferPointer<UInt8>) throws(CSVError) {
        defer { recordLine = line + 1 }
        // An empty line between records is not a record.
        if column == 0 && writeIndex == fieldStart && !fieldWasQuoted { return }
        try endField(buffer)
        if let header {
            guard column == header.count else {
                throw CSVError(.raggedRow(expected: header.count, actual: column), line: recordLine)
            }
            rowLines.append(Int32(truncatingIfNeeded: recordLine))
        } else {
            header = headerFields
            columnCount = headerFields.count
            headerFields = []
        }
        column = 0
    }

    func columnName(_ index: Int) -> String? {
        guard let header, index < header.count else { return nil }
        return String(decoding: header[index], as: UTF8.self)
    }

    /// Reserves offset storage for about `rows` records, to avoid regrowing a large array.
    mutating func reserve(rows: Int) {
        fields.reserve(rows * columnCount * 2)
        rowLines.reserveCapacity(rows)
    }

    func line(ofRow row: Int) -> Int { Int(rowLines[row]) }
}
