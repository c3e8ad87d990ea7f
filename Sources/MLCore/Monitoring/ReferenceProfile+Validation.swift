extension ReferenceProfile {
    /// Bounds on an entry read from a file. The profiles mlopsd writes have at most 9 edges and
    /// `maximumCategories`; a crafted one must not make the predict role allocate or search more.
    static let maximumEdges = 64
    static let maximumListedCategories = 64

    /// A profile read from a bundle is trusted by `DriftWindow` (bins are indexed by position,
    /// edges binary-searched, categories used as dictionary keys), so it is checked when the
    /// bundle loads: one entry per input column in schema order, of the kind the column bins
    /// as, and a prediction entry named after the target, of the kind the task predicts.
    func validate(inputSchema: [ColumnSchema], target: String, task: TaskKind) throws(BundleInconsistency) {
        guard rows >= 0 else { throw BundleInconsistency("reference profile: \(rows) rows") }
        guard features.count == inputSchema.count else {
            throw BundleInconsistency("reference profile: \(features.count) entries for \(inputSchema.count) input columns")
        }
        for (entry, column) in zip(features, inputSchema) {
            let kind: Kind = column.kind == .numeric || column.kind == .dateTime ? .numeric : .categorical
            guard entry.name == column.name, entry.kind == kind else {
                throw BundleInconsistency(
                    "reference profile: entry '\(entry.name)' (\(entry.kind.rawValue)) meets input column '\(column.name)' (\(column.kind.rawValue))")
            }
            try entry.validate(rows: rows)
        }
        let predicted: Kind = task == .classification ? .categorical : .numeric
        guard prediction.name == target, prediction.kind == predicted else {
            throw BundleInconsistency(
                "reference profile: prediction entry '\(prediction.name)' (\(prediction.kind.rawValue)) for target '\(target)' of a \(task.rawValue)")
        }
        try prediction.validate(rows: rows)
    }
}

extension ReferenceProfile.Entry {
    /// Finite, strictly ascending edges and distinct categories, within bounds; one count per
    /// bin, none negative, adding up to the profile's rows (checked for overflow, so sums over
    /// the counts cannot trap later).
    func validate(rows: Int) throws(BundleInconsistency) {
        let prefix = "reference profile: '\(name)'"
        guard edges.count <= ReferenceProfile.maximumEdges, categories.count <= ReferenceProfile.maximumListedCategories else {
            throw BundleInconsistency("\(prefix) has \(edges.count) edges and \(categories.count) categories, more than a profile holds")
        }
        guard edges.allSatisfy(\.isFinite), zip(edges, edges.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw BundleInconsistency("\(prefix) has edges that are not finite and strictly ascending")
        }
        guard Set(categories).count == categories.count else { throw BundleInconsistency("\(prefix) lists a category twice") }
        switch kind {
        case .numeric:
            guard categories.isEmpty, other == 0, counts.count == edges.count + 1 else {
                throw BundleInconsistency("\(prefix): a numeric entry needs one count more than its \(edges.count) edges and no categories")
            }
        case .categorical:
            guard edges.isEmpty, counts.count == categories.count else {
                throw BundleInconsistency("\(prefix): a categorical entry needs one count per category and no edges")
            }
        }
        var total = 0
        for count in counts + [other, missing] {
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard count >= 0, !overflow else { throw BundleInconsistency("\(prefix) has a negative or oversized count") }
            total = sum
        }
        guard total == rows else { throw BundleInconsistency("\(prefix) counts \(total) values for \(rows) rows") }
    }
}
