/// Dense row-major features: what models fit on and predict from.
public struct FeatureMatrix: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var values: [Double]
    public var names: [String]
    /// Per column: how many categories its codes stand for (codes 0..<k, -1 for none), or 0 for
    /// a numeric column. Boosting splits categorical columns by category sets, not by code order.
    public var categoryCounts: [Int]

    public init(rows: Int, columns: Int, values: [Double], names: [String], categoryCounts: [Int]? = nil) {
        precondition(values.count == rows * columns, "feature values do not fill rows × columns")
        precondition(names.count == columns, "one name per feature column")
        precondition(categoryCounts.map { $0.count == columns } ?? true, "one category count per feature column")
        self.rows = rows
        self.columns = columns
        self.values = values
        self.names = names
        self.categoryCounts = categoryCounts ?? Array(repeating: 0, count: columns)
    }

    @inline(__always)
    public subscript(row: Int, column: Int) -> Double {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    public func row(_ index: Int) -> ArraySlice<Double> {
        values[(index * columns)..<((index + 1) * columns)]
    }

    /// `outputs` numbers per row, each row's written by `body` from the row's features; a large
    /// matrix is shared out over the cores in contiguous runs of rows.
    func mapRows(
        outputs: Int, minimumPerTask: Int, _ body: (_ row: UnsafeBufferPointer<Double>, _ output: UnsafeMutableBufferPointer<Double>) -> Void
    ) -> [Double] {
        var results = [Double](repeating: 0, count: rows * outputs)
        let width = columns
        values.withUnsafeBufferPointer { values in
            results.withUnsafeMutableBufferPointer { results in
                let shared = UncheckedBox((values, results))
                _ = Parallel.map(ranges: rows, minimumPerTask: minimumPerTask) { range in
                    let (values, results) = shared.value
                    for row in range {
                        body(
                            UnsafeBufferPointer(rebasing: values[(row * width)..<((row + 1) * width)]),
                            UnsafeMutableBufferPointer(rebasing: results[(row * outputs)..<((row + 1) * outputs)]))
                    }
                }
            }
        }
        return results
    }

    public func selecting(rows indices: [Int]) -> FeatureMatrix {
        var selected: [Double] = []
        selected.reserveCapacity(indices.count * columns)
        for index in indices { selected.append(contentsOf: row(index)) }
        return FeatureMatrix(rows: indices.count, columns: columns, values: selected, names: names, categoryCounts: categoryCounts)
    }
}
