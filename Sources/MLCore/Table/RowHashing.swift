/// Row identity for duplicate detection: two rows are equal when every column holds the same
/// value (missing equals missing).
enum RowHashing {
    static func distinctRowCount(_ table: Table) -> Int {
        Set((0..<table.rowCount).map { RowKey(table: table, row: $0) }).count
    }

    /// Indices of the first occurrence of each distinct row, in order.
    static func firstOccurrences(_ table: Table) -> [Int] {
        var seen = Set<RowKey>()
        return (0..<table.rowCount).filter { seen.insert(RowKey(table: table, row: $0)).inserted }
    }

    struct RowKey: Hashable {
        let cells: [UInt64]

        init(table: Table, row: Int) {
            cells = table.columns.map { column in
                switch column.storage {
                case .numeric(let values), .dateTime(let values):
                    // All NaNs hash alike; -0 and 0 are the same value.
                    values[row].isNaN ? UInt64.max : (values[row] == 0 ? 0 : values[row].bitPattern)
                case .categorical(let codes, _): UInt64(bitPattern: Int64(codes[row]))
                case .boolean(let values): UInt64(bitPattern: Int64(values[row]))
                }
            }
        }
    }
}
