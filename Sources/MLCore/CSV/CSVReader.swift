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

/// Accepts the file chunk by chunk: the first chunk decides BOM and delimiter.
struct StreamingReader {
    let options: CSVOptions
    let estimatedBytes: Int
    private var tokenizer: CSVTokenizer?
    private var sawBytes = false

    init(options: CSVOptions, estimatedBytes: Int) {
        self.options = options
        self.estimatedBytes = estimatedBytes
    }

    mutating func consume(_ chunk: UnsafeBufferPointer<UInt8>) throws(CSVError) {
        var chunk = chunk
        if tokenizer == nil {
            if chunk.count >= 3, chunk[0] == 0xEF, chunk[1] == 0xBB, chunk[2] == 0xBF {
                chunk = UnsafeBufferPointer(rebasing: chunk[3...])
            }
            guard !chunk.isEmpty else { return }
            tokenizer = CSVTokenizer(delimiter: options.delimiter ?? Self.detectDelimiter(chunk))
        }
        sawBytes = sawBytes || !chunk.isEmpty
        let hadHeader = tokenizer?.header != nil
        try tokenizer?.consume(chunk)
        if !hadHeader, tokenizer?.header != nil { tokenizer?.reserve(estimatedBytes: estimatedBytes) }
    }

    /// Counts candidate delimiters outside quotes on the first line and picks the most frequent.
    static func detectDelimiter(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt8 {
        var counts: [UInt8: Int] = [UInt8(ascii: ","): 0, UInt8(ascii: ";"): 0, UInt8(ascii: "\t"): 0]
        var inQuotes = false
        for byte in bytes {
            if byte == UInt8(ascii: "\"") { inQuotes.toggle() }
            if inQuotes { continue }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { break }
            if counts[byte] != nil { counts[byte, default: 0] += 1 }
        }
        let best = counts.max { lhs, rhs in lhs.value < rhs.value || (lhs.value == rhs.value && lhs.key != UInt8(ascii: ",")) }
        return best.map { $0.value > 0 ? $0.key : UInt8(ascii: ",") } ?? UInt8(ascii: ",")
    }

    mutating func finish() throws(CSVError) -> Table {
        guard var tokenizer, sawBytes else { throw CSVError(.emptyFile) }
        try tokenizer.finish()
        guard let header = tokenizer.header else { throw CSVError(.noHeader, line: 1) }
        let names = try Self.columnNames(header)
        let decimalComma = options.decimalComma ?? (tokenizer.delimiter != UInt8(ascii: ","))
        let typing = ColumnTyping(options: options, decimalComma: decimalComma)
        let buffers = tokenizer.columns
        var results = [Result<Column, ColumnTyping.InvalidField>?](repeating: nil, count: names.count)
        // Columns are typed independently: spread them over the cores.
        results.withUnsafeMutableBufferPointer { slots in
            let slots = SendableSlots(slots)
            DispatchQueue.concurrentPerform(iterations: names.count) { index in
                slots[index] = typing.type(buffers[index], name: names[index])
            }
        }
        var columns: [Column] = []
        for (index, result) in results.enumerated() {
            switch result {
            case .success(let column)?:
                columns.append(column)
            case .failure(let invalid)?:
                throw CSVError(.invalidUTF8, line: tokenizer.line(ofRow: invalid.row), column: names[index])
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
            name = name.trimmingCharacters(in: .whitespaces)
            if name.isEmpty { name = "unnamed_\(index)" }
            guard seen.insert(name).inserted else { throw CSVError(.duplicateColumn(name), line: 1, column: name) }
            names.append(name)
        }
        return names
    }
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
