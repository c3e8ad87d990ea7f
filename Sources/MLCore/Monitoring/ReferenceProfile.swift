/// What the data a model was trained on looked like, binned: the reference the predict role
/// measures drift against. It travels in the bundle (`reference_profile`) because serving has
/// no access to the training data, and it is small (a few hundred numbers per column).
public struct ReferenceProfile: Codable, Sendable, Equatable {
    /// Training rows counted: all of them, or a stride sample of `maximumRows`.
    public var rows: Int
    /// One entry per input column, in the order of the bundle's input schema.
    public var features: [Entry]
    /// The model's own predictions on those rows, named after the target: class labels for a
    /// classifier, binned values for a regressor. Serving shifts here even when no single
    /// feature moves much.
    public var prediction: Entry

    public init(rows: Int, features: [Entry], prediction: Entry) {
        self.rows = rows
        self.features = features
        self.prediction = prediction
    }

    /// How an entry bins its values, which decides the statistic it is compared with.
    public enum Kind: String, Codable, Sendable {
        /// Quantile bins, compared by population stability index.
        case numeric
        /// One bin per category, compared by Jensen-Shannon distance.
        case categorical
    }

    /// The binned distribution of one column.
    ///
    /// Numeric: bin i holds values v with `edges[i-1] < v <= edges[i]`, the first bin everything
    /// up to `edges[0]`, the last everything above `edges.last`, so `counts` has `edges.count + 1`
    /// bins. Categorical: `counts[i]` is how often `categories[i]` was seen, and `other` holds
    /// the categories past the most frequent ones (and, when serving, categories never seen).
    /// Both count missing values in `missing`, a bin of its own: a feed that starts sending nulls
    /// has drifted too.
    public struct Entry: Sendable, Equatable {
        public var name: String
        public var kind: Kind
        /// Ascending bin edges (numeric only).
        public var edges: [Double]
        /// Categories, most frequent first (categorical only).
        public var categories: [String]
        public var counts: [Int]
        /// Values of no listed category (categorical only).
        public var other: Int
        public var missing: Int

        public init(name: String, kind: Kind, edges: [Double] = [], categories: [String] = [], counts: [Int], other: Int = 0, missing: Int) {
            self.name = name
            self.kind = kind
            self.edges = edges
            self.categories = categories
            self.counts = counts
            self.other = other
            self.missing = missing
        }

        /// Every bin in the order drift is measured over: `counts`, then `other` (categorical
        /// only), then `missing`.
        public var histogram: [Int] {
            kind == .numeric ? counts + [missing] : counts + [other, missing]
        }

        /// The bin of `value` among `edges`: the first edge it does not exceed, or past the last.
        /// Training and serving both bin through here, so a value on an edge lands alike.
        @inline(__always)
        static func bin(of value: Double, edges: [Double]) -> Int {
            var low = 0
            var high = edges.count
            while low < high {
                let middle = (low + high) / 2
                if value <= edges[middle] { high = middle } else { low = middle + 1 }
            }
            return low
        }
    }

    enum CodingKeys: String, CodingKey {
        case rows, features, prediction
    }
}

extension ReferenceProfile.Entry: Codable {
    enum CodingKeys: String, CodingKey {
        case name, kind, edges, categories, counts, other, missing
    }

    /// Fields of the other kind may be absent; `ReferenceProfile.validate` checks what is there.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        kind = try container.decode(ReferenceProfile.Kind.self, forKey: .kind)
        edges = try container.decodeIfPresent([Double].self, forKey: .edges) ?? []
        categories = try container.decodeIfPresent([String].self, forKey: .categories) ?? []
        counts = try container.decode([Int].self, forKey: .counts)
        other = try container.decodeIfPresent(Int.self, forKey: .other) ?? 0
        missing = try container.decode(Int.self, forKey: .missing)
    }

    /// Only the fields of the entry's kind, so a numeric entry reads as edges and counts.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encode(kind, forKey: .kind)
        switch kind {
        case .numeric:
            try container.encode(edges, forKey: .edges)
        case .categorical:
            try container.encode(categories, forKey: .categories)
            try container.encode(other, forKey: .other)
        }
        try container.encode(counts, forKey: .counts)
        try container.encode(missing, forKey: .missing)
    }
}
