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

    public func selecting(rows indices: [Int]) -> FeatureMatrix {
        var selected: [Double] = []
        selected.reserveCapacity(indices.count * columns)
        for index in indices { selected.append(contentsOf: row(index)) }
        return FeatureMatrix(rows: indices.count, columns: columns, values: selected, names: names, categoryCounts: categoryCounts)
    }
}
