/// Turns one column's raw fields into typed storage, inferring the kind from every value:
/// numeric if all present values are numbers, else boolean, else date-time, else categorical.
struct ColumnTyping {
    let missingTokens: [[UInt8]]
    let longestMissingToken: Int
    let decimalComma: Bool
    let inferTypes: Bool

    init(options: CSVOptions, decimalComma: Bool) {
        missingTokens = options.missingTokens.map { Array($0.utf8) }
        longestMissingToken = missingTokens.map(\.count).max() ?? 0
        self.decimalComma = decimalComma
        self.inferTypes = options.inferTypes
    }

    /// Returns the typed column, or the index of a field that is not valid UTF-8.
    func type(_ buffer: FieldBuffer, name: String) -> Result<Column, InvalidField> {
        buffer.bytes.withUnsafeBufferPointer { bytes in
            let missing = missingMask(buffer, bytes)
            if inferTypes {
                if let values = numbers(buffer, bytes, missing) { return .success(Column(name: name, storage: .numeric(values))) }
                if let values = booleans(buffer, bytes, missing) { return .success(Column(name: name, storage: .boolean(values))) }
                if let values = dates(buffer, bytes, missing) { return .success(Column(name: name, storage: .dateTime(values))) }
            }
            return categories(buffer, bytes, missing).map { Column(name: name, storage: $0) }
        }
    }

    struct InvalidField: Error {
        let row: Int
    }

    private func missingMask(_ buffer: FieldBuffer, _ bytes: UnsafeBufferPointer<UInt8>) -> [Bool] {
        var mask = [Bool](repeating: false, count: buffer.count)
        var start = 0
        for (row, end) in buffer.ends.enumerated() {
            var from = start
            var to = end
            while from < to, bytes[from] == 0x20 { from += 1 }
            while to > from, bytes[to - 1] == 0x20 { to -= 1 }
            let length = to - from
            if length == 0 {
                mask[row] = true
            } else if length <= longestMissingToken {
                mask[row] = missingTokens.contains { token in
                    token.count == length && token.withUnsafeBufferPointer { tokenBytes in
                        (0..<length).allSatisfy { tokenBytes[$0] == bytes[from + $0] }
                    }
                }
            }
            start = end
        }
        return mask
    }

    private func numbers(_ buffer: FieldBuffer, _ bytes: UnsafeBufferPointer<UInt8>, _ missing: [Bool]) -> [Double]? {
        var values = [Double](repeating: .nan, count: buffer.count)
        var start = 0
        for (row, end) in buffer.ends.enumerated() {
            defer { start = end }
            if missing[row] { continue }
            guard let value = NumberParsing.parse(bytes, start, end, decimalComma: decimalComma) else { return nil }
            values[row] = value
        }
        return values
    }

    private func booleans(_ buffer: FieldBuffer, _ bytes: UnsafeBufferPointer<UInt8>, _ missing: [Bool]) -> [Int8]? {
        var values = [Int8](repeating: -1, count: buffer.count)
        var start = 0
        var present = 0
        for (row, end) in buffer.ends.enumerated() {
            defer { start = end }
            if missing[row] { continue }
            guard let value = Self.boolean(bytes, start, end) else { return nil }
            values[row] = value
            present += 1
        }
        return present > 0 ? values : nil
    }

    private static func boolean(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> Int8? {
        var word: [UInt8] = []
        for index in start..<end where bytes[index] != 0x20 {
            guard word.count < 5 else { return nil }
            word.append(bytes[index] | 0x20)  // ASCII lower case
        }
        // Only true/false: yes/no stay text so labels read back as the data had them.
        switch word {
        case Array("true".utf8): return 1
        case Array("false".utf8): return 0
        default: return nil
        }
    }

    private func dates(_ buffer: FieldBuffer, _ bytes: UnsafeBufferPointer<UInt8>, _ missing: [Bool]) -> [Double]? {
        var values = [Double](repeating: .nan, count: buffer.count)
        var start = 0
        var present = 0
        for (row, end) in buffer.ends.enumerated() {
            defer { start = end }
            if missing[row] { continue }
            guard let value = DateTimeParsing.parse(bytes, start, end) else { return nil }
            values[row] = value
            present += 1
        }
        return present > 0 ? values : nil
    }

    private func categories(
        _ buffer: FieldBuffer, _ bytes: UnsafeBufferPointer<UInt8>, _ missing: [Bool]
    ) -> Result<ColumnStorage, InvalidField> {
        var codes = [Int32](repeating: -1, count: buffer.count)
        var labels: [String] = []
        var lookup: [String: Int32] = [:]
        var start = 0
        for (row, end) in buffer.ends.enumerated() {
            defer { start = end }
            if missing[row] { continue }
            guard let label = String(validating: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) else {
                return .failure(InvalidField(row: row))
            }
            if let code = lookup[label] {
                codes[row] = code
            } else {
                let code = Int32(labels.count)
                lookup[label] = code
                labels.append(label)
                codes[row] = code
            }
        }
        return .success(.categorical(codes: codes, labels: labels))
    }
}
