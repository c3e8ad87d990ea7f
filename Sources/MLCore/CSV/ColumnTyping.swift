#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns one column's raw fields into typed storage, inferring the kind from every value:
/// numeric if all present values are numbers, else boolean, else date-time, else categorical.
struct ColumnTyping {
    private let missingTokens: [[UInt8]]
    /// First bytes of the missing tokens: most fields are rejected as "not a token" on one lookup.
    private let tokenStarts: [Bool]
    private let matchesEmpty: Bool
    let decimalComma: Bool
    let inferTypes: Bool

    init(options: CSVOptions, decimalComma: Bool) {
        missingTokens = options.missingTokens.map { Array($0.utf8) }.filter { !$0.isEmpty }
        var starts = [Bool](repeating: false, count: 256)
        for token in missingTokens { starts[Int(token[0])] = true }
        tokenStarts = starts
        matchesEmpty = options.missingTokens.contains("")
        self.decimalComma = decimalComma
        self.inferTypes = options.inferTypes
    }

    enum Failure: Error {
        /// A field that is not valid UTF-8.
        case invalidText(row: Int)
        /// A present value that is not of the column's declared kind.
        case notOfKind(ColumnKind, row: Int)
    }

    /// Returns the typed column: of the declared kind when one is given, else inferred.
    func type(_ fields: FieldSpans, name: String, declared: ColumnKind? = nil) -> Result<Column, Failure> {
        let bytes = fields.bytes
        let number = { (start: Int, end: Int) in NumberParsing.parse(bytes, start, end, decimalComma: decimalComma) }
        let dateTime = { (start: Int, end: Int) in DateTimeParsing.parse(bytes, start, end) }
        switch declared {
        case .numeric?:
            return parse(fields, Double.nan, number, as: .numeric).map { Column(name: name, storage: .numeric($0)) }
        case .boolean?:
            return parse(fields, Int8(-1), Self.boolean(bytes), as: .boolean).map { Column(name: name, storage: .boolean($0)) }
        case .dateTime?:
            return parse(fields, Double.nan, dateTime, as: .dateTime).map { Column(name: name, storage: .dateTime($0)) }
        case .categorical?:
            return categories(fields).map { Column(name: name, storage: $0) }
        case nil:
            break
        }
        if inferTypes {
            if let values = parseAll(fields, Double.nan, number) {
                return .success(Column(name: name, storage: .numeric(values)))
            }
            if let values = parseAll(fields, Int8(-1), Self.boolean(bytes), requirePresent: true) {
                return .success(Column(name: name, storage: .boolean(values)))
            }
            if let values = parseAll(fields, Double.nan, dateTime, requirePresent: true) {
                return .success(Column(name: name, storage: .dateTime(values)))
            }
        }
        return categories(fields).map { Column(name: name, storage: $0) }
    }

    /// Parses a column of a declared kind; the first present value that does not parse is an error.
    private func parse<Value>(
        _ fields: FieldSpans, _ missing: Value, _ parse: (Int, Int) -> Value?, as kind: ColumnKind
    ) -> Result<[Value], Failure> {
        if let values = parseAll(fields, missing, parse) { return .success(values) }
        let row =
            (0..<fields.count).first { row in
                parse(fields.start(row), fields.end(row)) == nil && !isMissing(fields.bytes, fields.start(row), fields.end(row))
            } ?? 0
        return .failure(.notOfKind(kind, row: row))
    }

    /// Parses every field with `parse`; a field that fails must be a missing-value token.
    /// nil as soon as one present value does not parse.
    private func parseAll<Value>(
        _ fields: FieldSpans,
        _ missing: Value,
        _ parse: (Int, Int) -> Value?,
        requirePresent: Bool = false
    ) -> [Value]? {
        var present = false
        var failed = false
        // Filled as parsed, so an attempt that fails early (text in a numeric guess) touches little memory.
        let values = [Value](unsafeUninitializedCapacity: fields.count) { buffer, initialized in
            for row in 0..<fields.count {
                let start = fields.start(row)
                let end = fields.end(row)
                if let value = parse(start, end) {
                    buffer[row] = value
                    present = true
                } else if isMissing(fields.bytes, start, end) {
                    buffer[row] = missing
                } else {
                    failed = true
                    break
                }
                initialized = row + 1
            }
        }
        return failed || (!present && requirePresent) ? nil : values
    }

    private func isMissing(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Bool {
        var from = start
        var to = end
        while from < to, bytes[from] == 0x20 { from += 1 }
        while to > from, bytes[to - 1] == 0x20 { to -= 1 }
        guard from < to else { return matchesEmpty }
        guard tokenStarts[Int(bytes[from])] else { return false }
        let length = to - from
        return missingTokens.contains { token in
            token.count == length
                && token.withUnsafeBufferPointer { tokenBytes in
                    memcmp(tokenBytes.baseAddress!, bytes.baseAddress! + from, length) == 0
                }
        }
    }

    // Only true/false: yes/no stay text so labels read back as the data had them.
    private static func boolean(_ bytes: UnsafeBufferPointer<UInt8>) -> (Int, Int) -> Int8? {
        { start, end in
            var from = start
            var to = end
            while from < to, bytes[from] == 0x20 { from += 1 }
            while to > from, bytes[to - 1] == 0x20 { to -= 1 }
            func equals(_ word: StaticString) -> Bool {
                guard to - from == word.utf8CodeUnitCount else { return false }
                return (0..<(to - from)).allSatisfy { bytes[from + $0] | 0x20 == word.utf8Start[$0] }
            }
            if equals("true") { return 1 }
            if equals("false") { return 0 }
            return nil
        }
    }

    /// Dictionary-encodes the column. Fields are looked up by their bytes; a `String` is made
    /// (and validated as UTF-8) only once per distinct byte sequence.
    ///
    /// Labels are stored in Unicode NFC, and byte sequences that are one label to Swift ("café"
    /// precomposed and decomposed) share one code: Swift compares strings by canonical
    /// equivalence, so two codes for them would collide in every dictionary keyed by label.
    private func categories(_ fields: FieldSpans) -> Result<ColumnStorage, Failure> {
        var codes = [Int32](repeating: -1, count: fields.count)
        var labels: [String] = []
        var codeOfLabel: [String: Int32] = [:]
        var lookup = LabelTable()
        let bytes = fields.bytes
        for row in 0..<fields.count {
            let start = fields.start(row)
            let end = fields.end(row)
            if isMissing(bytes, start, end) { continue }
            let key = UnsafeBufferPointer(start: bytes.baseAddress! + start, count: end - start)
            if let code = lookup.code(for: key) {
                codes[row] = code
                continue
            }
            guard let text = String(validating: key, as: UTF8.self) else { return .failure(.invalidText(row: row)) }
            let code: Int32
            if let known = codeOfLabel[text] {
                code = known
            } else {
                code = Int32(labels.count)
                codeOfLabel[text] = code
                labels.append(UnicodeText.nfc(text))
            }
            lookup.insert(key, code: code)
            codes[row] = code
        }
        return .success(.categorical(codes: codes, labels: labels))
    }
}

/// Open-addressing table from label bytes to codes. Categorical columns have few distinct
/// labels and many repeats, so a cheap FNV-1a hash beats `Dictionary`'s SipHash here.
private struct LabelTable {
    private var slots = [Int32](repeating: -1, count: 64)
    private var hashes = [UInt64](repeating: 0, count: 64)
    private var keys: [UnsafeBufferPointer<UInt8>] = []

    private static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }

    func code(for key: UnsafeBufferPointer<UInt8>) -> Int32? {
        let hash = Self.hash(key)
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        while slots[index] >= 0 {
            let code = slots[index]
            if hashes[index] == hash, Self.equal(keys[Int(code)], key) { return code }
            index = (index + 1) & mask
        }
        return nil
    }

    mutating func insert(_ key: UnsafeBufferPointer<UInt8>, code: Int32) {
        keys.append(key)
        // Growing re-places every key, the new one included.
        if keys.count * 2 > slots.count { grow() } else { place(Self.hash(key), code) }
    }

    private mutating func place(_ hash: UInt64, _ code: Int32) {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hash) & mask
        while slots[index] >= 0 { index = (index + 1) & mask }
        slots[index] = code
        hashes[index] = hash
    }

    private mutating func grow() {
        slots = [Int32](repeating: -1, count: slots.count * 2)
        hashes = [UInt64](repeating: 0, count: slots.count)
        for (code, key) in keys.enumerated() { place(Self.hash(key), Int32(code)) }
    }

    private static func equal(_ lhs: UnsafeBufferPointer<UInt8>, _ rhs: UnsafeBufferPointer<UInt8>) -> Bool {
        lhs.count == rhs.count && (lhs.isEmpty || memcmp(lhs.baseAddress!, rhs.baseAddress!, lhs.count) == 0)
    }
}
