import Dispatch
import Foundation

/// Reads CSV into a typed `Table`, streaming the bytes in chunks.
public enum CSVReader {
    public static func read(path: String, options: CSVOptions = CSVOptions()) throws(CSVError) -> Table {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CSVError(.unreadable("no readable file at \(path)"))
        }
        defer { try? handle.close() }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        var reader = StreamingReader(options: options, estimatedBytes: size)
        while true {
            let chunk: Data
            do {
                chunk = try handle.read(upToCount: options.chunkSize) ?? Data()
            } catch {
                throw CSVError(.unreadable("\(error)"))
            }
            if chunk.isEmpty { break }
            let outcome = chunk.withUnsafeBytes { (raw: UnsafeRawBufferPointer) -> Result<Void, CSVError> in
                Result { () throws(CSVError) in try reader.consume(raw.bindMemory(to: UInt8.self)) }
            }
            try outcome.get()
        }
        return try reader.finish()
    }

    public static func read(bytes: some Collection<UInt8>, options: CSVOptions = CSVOptions()) throws(CSVError) -> Table {
        var reader = StreamingReader(options: options, estimatedBytes: bytes.count)
        let array = Array(bytes)
        try array.withUnsafeBufferPointer { buffer in
            Result { () throws(CSVError) in try reader.consume(buffer) }
        }.get()
        return try reader.finish()
    }

    public static func read(string: String, options: CSVOptions = CSVOptions()) throws(CSVError) -> Table {
        try read(bytes: Array(string.utf8), options: options)
    }
}

/// Accepts the file chunk by chunk into one buffer (the only copy of the bytes) and tokenizes
/// each chunk as it arrives; the first chunk decides BOM and delimiter.
struct StreamingReader {
    let options: CSVOptions
    private var data: [UInt8] = []
    private var tokenizer: CSVTokenizer?
    private let estimatedBytes: Int

    init(options: CSVOptions, estimatedBytes: Int) {
        self.options = options
        self.estimatedBytes = estimatedBytes
        data.reserveCapacity(estimatedBytes)
    }

    /// Field offsets are 32-bit: the reader holds the whole file in memory, and tables past
    /// 4 GiB of CSV are out of its reach anyway.
    static let maximumBytes = Int(UInt32.max)

    mutating func consume(_ chunk: UnsafeBufferPointer<UInt8>) throws(CSVError) {
        guard data.count + chunk.count < Self.maximumBytes else {
            throw CSVError(.unreadable("files larger than 4 GiB are not supported"))
        }
        var start = data.count
        data.append(contentsOf: chunk)
        if tokenizer == nil {
            // Wait until a byte-order mark can be recognised and the header line is complete.
            guard data.count >= 3 || data.contains(UInt8(ascii: "\n")) else { return }
            let bomLength = data.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            guard let delimiter = options.delimiter ?? Self.detectDelimiter(data, from: bomLength) else { return }
            tokenizer = CSVTokenizer(delimiter: delimiter)
            start = bomLength
        }
        let firstRows = tokenizer?.rowCount == 0
        let from = start
        let outcome = data.withUnsafeMutableBufferPointer { buffer in
            Result { () throws(CSVError) in try tokenizer?.consume(buffer, from: from) }
        }
        try outcome.get()
        try checkFieldLimit()
        if firstRows, let rows = tokenizer?.rowCount, rows > 0, estimatedBytes > data.count {
            // Extrapolate the row count from the first chunk's bytes per row, plus 10%, never
            // past what the field limit allows.
            var estimate = Int(Double(estimatedBytes) / Double(data.count) * Double(rows) * 1.1)
            if let limit = options.maxFields, let columns = tokenizer?.columnCount, columns > 0 { estimate = min(estimate, limit / columns + 1) }
            tokenizer?.reserve(rows: estimate)
        }
    }

    /// Counts candidate delimiters outside quotes on the first line and picks the most frequent
    /// (on ties the earlier of comma, semicolon, tab); nil while the first line is incomplete.
    static func detectDelimiter(_ bytes: [UInt8], from start: Int, complete: Bool = false) -> UInt8? {
        let candidates: [UInt8] = [UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: "\t")]
        var counts = [Int](repeating: 0, count: candidates.count)
        var inQuotes = false
        var sawLineEnd = false
        for byte in bytes[start...] {
            if byte == UInt8(ascii: "\"") { inQuotes.toggle() }
            if inQuotes { continue }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                sawLineEnd = true
                break
            }
            if let index = candidates.firstIndex(of: byte) { counts[index] += 1 }
        }
        guard sawLineEnd || complete else { return nil }
        // The first maximum, so ties resolve the same way on every run.
        var best = 0
        for index in counts.indices where counts[index] > counts[best] { best = index }
        return candidates[best]
    }

    /// Checked once per chunk: a file over the limit costs at most one chunk's fields more.
    private func checkFieldLimit() throws(CSVError) {
        guard let limit = options.maxFields, let fields = tokenizer?.fields.count, fields / 2 > limit else { return }
        throw CSVError(.tooManyFields(limit: limit))
    }

    mutating func finish() throws(CSVError) -> Table {
        let bomLength = data.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        guard data.count > bomLength else { throw CSVError(.emptyFile) }
        if tokenizer == nil {
            // A single line without a line break: the header of an empty table.
            let delimiter = options.delimiter ?? Self.detectDelimiter(data, from: bomLength, complete: true) ?? UInt8(ascii: ",")
            tokenizer = CSVTokenizer(delimiter: delimiter)
            let outcome = data.withUnsafeMutableBufferPointer { buffer in
                Result { () throws(CSVError) in try tokenizer?.consume(buffer, from: bomLength) }
            }
            try outcome.get()
        }
        guard var tokenizer else { throw CSVError(.emptyFile) }
        let finished = data.withUnsafeMutableBufferPointer { buffer in
            Result { () throws(CSVError) in try tokenizer.finish(buffer) }
        }
        try finished.get()
        try checkFieldLimit()
        guard let header = tokenizer.header else { throw CSVError(.noHeader, line: 1) }
        let names = try Self.columnNames(header)
        let decimalComma = options.decimalComma ?? (tokenizer.delimiter != UInt8(ascii: ","))
        let typing = ColumnTyping(options: options, decimalComma: decimalComma)
        let declared = names.map { options.columnKinds[$0] }
        let layout = FieldLayout(columns: names.count, rows: tokenizer.rowCount)
        var results = [Result<Column, ColumnTyping.Failure>?](repeating: nil, count: names.count)
        data.withUnsafeBufferPointer { bytes in
            let store = tokenizer.fields
            withExtendedLifetime(store) {
                results.withUnsafeMutableBufferPointer { slots in
                    let slots = SendableSlots(slots)
                    let shared = SendableBuffers(bytes: bytes, offsets: store.buffer)
                    // Columns are typed independently: spread them over the cores.
                    DispatchQueue.concurrentPerform(iterations: names.count) { index in
                        let fields = FieldSpans(bytes: shared.bytes, offsets: shared.offsets, layout: layout, column: index)
                        slots[index] = typing.type(fields, name: names[index], declared: declared[index])
                    }
                }
            }
        }
        var columns: [Column] = []
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let column)?:
                columns.append(column)
            case .failure(.invalidText(let row))?:
                throw CSVError(.invalidUTF8, line: tokenizer.line(ofRow: row), column: names[index])
            case .failure(.notOfKind(let kind, let row))?:
                throw CSVError(.notOfKind(kind), line: tokenizer.line(ofRow: row), column: names[index])
            case nil:
                throw CSVError(.unreadable("column '\(names[index])' was not typed"))
            }
        }
        do {
            return try Table(columns: columns)
        } catch {
            throw CSVError(.unreadable(error.description))
        }
    }

    static func columnNames(_ header: [[UInt8]]) throws(CSVError) -> [String] {
        var names: [String] = []
        var seen = Set<String>()
        for (index, raw) in header.enumerated() {
            guard var name = String(validating: raw, as: UTF8.self) else { throw CSVError(.invalidUTF8, line: 1) }
            name = UnicodeText.nfc(name.trimmingCharacters(in: .whitespaces))
            if name.isEmpty { name = "unnamed_\(index)" }
            guard seen.insert(name).inserted else { throw CSVError(.duplicateColumn(name), line: 1, column: name) }
            names.append(name)
        }
        return names
    }
}

/// Read-only buffers shared with `concurrentPerform` iterations.
private struct SendableBuffers: @unchecked Sendable {
    let bytes: UnsafeBufferPointer<UInt8>
    let offsets: UnsafeBufferPointer<UInt32>
}

/// Disjoint slots written from `concurrentPerform`: each index is written by exactly one iteration.
private struct SendableSlots<Element>: @unchecked Sendable {
    let base: UnsafeMutableBufferPointer<Element>

    init(_ base: UnsafeMutableBufferPointer<Element>) {
        self.base = base
    }

    subscript(index: Int) -> Element {
        get { base[index] }
        nonmutating set { base[index] = newValue }
    }
}
