extension ReferenceProfile {
    /// Rows beyond this are sampled: binning is then cheap next to any fit (a sort per column),
    /// and deciles and category shares of 100,000 rows are already far finer than serving
    /// windows can tell apart.
    public static let maximumRows = 100_000
    /// Deciles: ten bins where the values are continuous, fewer where quantiles coincide.
    static let quantileBins = 10
    /// Categories kept by name per entry; rarer ones are counted together as `other`.
    public static let maximumCategories = 50

    /// Profiles `table`, the raw training table `bundle`'s pipeline was fitted on (target
    /// included or not), and what `bundle` predicts for those rows, decided as serving decides
    /// (a tuned decision threshold included).
    public init(table: Table, bundle: ModelBundle) throws(TransformError) {
        let sample = table.rowCount > Self.maximumRows ? table.selecting(rows: Self.strideSample(table.rowCount, Self.maximumRows)) : table
        // First, as it checks that every input column is there with its training kind, which the
        // entries' kinds follow.
        let matrix = try bundle.pipeline.transform(sample)
        var features: [Entry] = []
        features.reserveCapacity(bundle.inputSchema.count)
        for schema in bundle.inputSchema {
            guard let column = sample.column(named: schema.name) else { throw .missingColumn(schema.name) }
            features.append(Entry(column: column))
        }
        let target = bundle.pipeline.target
        let prediction: Entry
        switch bundle.task {
        case .classification:
            let classes =
                bundle.model.predictProbabilities(matrix).map { rows in rows.map { Evaluation.predictedClass($0, threshold: bundle.decisionThreshold) } }
                ?? bundle.model.predict(matrix)
            let labelCount = bundle.classLabels.count
            var counts = [Int](repeating: 0, count: labelCount)
            var missing = 0
            for value in classes {
                // A class index out of range has no label, as `ModelBundle.predict` reports it.
                if let index = Int(exactly: value), index >= 0, index < labelCount { counts[index] += 1 } else { missing += 1 }
            }
            prediction = Entry.categorical(name: target, labels: bundle.classLabels, counts: counts, missing: missing)
        case .regression:
            prediction = Entry.numeric(name: target, values: bundle.model.predict(matrix))
        }
        self.init(rows: sample.rowCount, features: features, prediction: prediction)
    }

    /// `limit` row indices spread evenly over `count` rows: deterministic, and covering the
    /// whole table even when it is ordered by time or by class.
    static func strideSample(_ count: Int, _ limit: Int) -> [Int] {
        guard count > limit, limit > 0 else { return Array(0..<max(0, count)) }
        let step = Double(count) / Double(limit)
        return (0..<limit).map { min(count - 1, Int(Double($0) * step)) }
    }
}

extension ReferenceProfile.Entry {
    /// Numeric and date-time columns are binned by value (dates as seconds since 1970), boolean
    /// columns counted as the categories "false" and "true", the way records spell them.
    init(column: Column) {
        switch column.storage {
        case .numeric(let values), .dateTime(let values):
            self = .numeric(name: column.name, values: values)
        case .categorical(let codes, let labels):
            var counts = [Int](repeating: 0, count: labels.count)
            var missing = 0
            for code in codes {
                if code >= 0, Int(code) < labels.count { counts[Int(code)] += 1 } else { missing += 1 }
            }
            self = .categorical(name: column.name, labels: labels, counts: counts, missing: missing)
        case .boolean(let values):
            var counts = [0, 0]
            var missing = 0
            for value in values {
                switch value {
                case 0: counts[0] += 1
                case 1: counts[1] += 1
                default: missing += 1
                }
            }
            self = .categorical(name: column.name, labels: ["false", "true"], counts: counts, missing: missing)
        }
    }

    /// Decile edges of the finite values, equal ones merged, and every value counted against
    /// them. Edges are values that occur (the lower of the two around each decile, not a point
    /// between them), so a column of a few distinct values gets one bin per value.
    static func numeric(name: String, values: [Double]) -> Self {
        let sorted = values.filter(\.isFinite).sorted()
        var edges: [Double] = []
        if !sorted.isEmpty {
            let bins = ReferenceProfile.quantileBins
            for decile in 1..<bins {
                let edge = sorted[decile * (sorted.count - 1) / bins]
                if edges.last.map({ $0 < edge }) ?? true { edges.append(edge) }
            }
        }
        var counts = [Int](repeating: 0, count: edges.count + 1)
        var missing = 0
        for value in values {
            if value.isNaN { missing += 1 } else { counts[bin(of: value, edges: edges)] += 1 }
        }
        return Self(name: name, kind: .numeric, edges: edges, counts: counts, missing: missing)
    }

    /// The categories seen (count above zero), most frequent first and ties by name, up to
    /// `maximumCategories`; the rest are summed into `other`. Labels spelled alike are one
    /// category, since serving tells categories apart by spelling alone.
    static func categorical(name: String, labels: [String], counts labelCounts: [Int], missing: Int) -> Self {
        var byLabel: [String: Int] = [:]
        for (label, count) in zip(labels, labelCounts) where count > 0 { byLabel[label, default: 0] += count }
        let ranked = byLabel.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let kept = ranked.prefix(ReferenceProfile.maximumCategories)
        return Self(
            name: name, kind: .categorical, categories: kept.map { $0.key }, counts: kept.map { $0.value },
            other: ranked.dropFirst(kept.count).reduce(0) { $0 + $1.value }, missing: missing)
    }
}
