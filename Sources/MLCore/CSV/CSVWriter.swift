/// Writes a table as RFC 4180 CSV (comma, LF, quotes only where needed). Missing values are
/// empty fields, so a round trip through `CSVReader` gives the same table.
public enum CSVWriter {
    public static func write(_ table: Table) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(table.rowCount * table.columns.count * 8)
        appendRecord(table.columnNames, to: &output)
        for row in 0..<table.rowCount {
            appendRecord(table.columns.map { $0.text(at: row) }, to: &output)
        }
        return output
    }

    private static func appendRecord(_ fields: [String], to output: inout [UInt8]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ",")) }
            let needsQuotes = field.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: "\"") || $0 == 0x0A || $0 == 0x0D }
            if needsQuotes {
                output.append(UInt8(ascii: "\""))
                for byte in field.utf8 {
                    if byte == UInt8(ascii: "\"") { output.append(byte) }
                    output.append(byte)
                }
                output.append(UInt8(ascii: "\""))
            } else {
                output.append(contentsOf: field.utf8)
            }
        }
        output.append(0x0A)
    }
}
