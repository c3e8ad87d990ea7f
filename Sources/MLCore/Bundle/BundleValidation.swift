/// Why a bundle that decodes is still refused: an index out of range, a tree that is not a tree,
/// sizes that disagree. Prediction indexes buffers with these numbers unchecked (that is what
/// makes it fast), so a bundle is checked whole once, when it loads.
public struct BundleInconsistency: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    init(_ description: String) {
        self.description = description
    }
}

extension TreeStructure {
    /// A tree is a tree: node arrays of one length, split features below `featureCount`, children
    /// after their parent and each reached once (so no cycle and no shared subtree), every leaf
    /// pointing at `leafWidth` values that exist, and category sets sorted, of codes that can be.
    func validate(featureCount: Int, leafWidth: Int, name: String) throws(BundleInconsistency) {
        let count = feature.count
        guard count > 0, threshold.count == count, left.count == count, right.count == count else {
            throw BundleInconsistency("\(name): node arrays are empty or of different lengths")
        }
        if !categorySet.isEmpty {
            guard categorySet.count == count else { throw BundleInconsistency("\(name): \(categorySet.count) category set indices for \(count) nodes") }
            for node in 0..<count where categorySet[node] >= 0 {
                guard feature[node] >= 0, Int(categorySet[node]) < categorySets.count else {
                    throw BundleInconsistency("\(name): node \(node) names category set \(categorySet[node]) of \(categorySets.count)")
                }
            }
            for (index, codes) in categorySets.enumerated() {
                guard let first = codes.first, first >= 0, zip(codes, codes.dropFirst()).allSatisfy({ $0 < $1 }) else {
                    throw BundleInconsistency("\(name): category set \(index) is empty, unsorted or has a negative code")
                }
            }
        }
        var reached = [Bool](repeating: false, count: count)
        for node in 0..<count {
            if feature[node] < 0 {
                let offset = Int(left[node])
                guard offset >= 0, leafWidth <= leafValues.count, offset <= leafValues.count - leafWidth else {
                    throw BundleInconsistency("\(name): leaf \(node) points outside its \(leafValues.count) leaf values")
                }
                continue
            }
            guard Int(feature[node]) < featureCount, feature[node] < PackedForest.categoricalFlag else {
                throw BundleInconsistency("\(name): node \(node) splits on feature \(feature[node]) of \(featureCount)")
            }
            for child in [Int(left[node]), Int(right[node])] {
                guard child > node, child < count, !reached[child] else {
                    throw BundleInconsistency("\(name): node \(node) has child \(child), which is not a fresh node after it")
                }
                reached[child] = true
            }
        }
    }
}

extension FeaturePipeline {
    /// Every per-feature array has one entry per feature the transforms produce, and each
    /// transform reads the input column at its position, of the kind it expects (records are
    /// transformed by pairing the two lists).
    func validate() throws(BundleInconsistency) {
        guard transforms.count == inputSchema.count else {
            throw BundleInconsistency("feature pipeline: \(transforms.count) transforms for \(inputSchema.count) input columns")
        }
        for (transform, column) in zip(transforms, inputSchema) where transform.inputName != column.name || transform.inputKind != column.kind {
            throw BundleInconsistency(
                "feature pipeline: the transform of '\(transform.inputName)' (\(transform.inputKind)) meets input column '\(column.name)' (\(column.kind))"
            )
        }
        for case .dateTime(let transform) in transforms where !DateTimeParsing.representable.contains(transform.fill) {
            throw BundleInconsistency("feature pipeline: '\(transform.name)' fills missing dates with \(transform.fill) s, not a date")
        }
        let produced = transforms.reduce(0) { $0 + $1.outputNames.count }
        guard produced == featureNames.count, means.count == featureNames.count, scales.count == featureNames.count else {
            throw BundleInconsistency(
                "feature pipeline: transforms produce \(produced) features for \(featureNames.count) names, \(means.count) means, \(scales.count) scales"
            )
        }
    }
}

extension ModelBundle {
    /// Checks the model against the pipeline that feeds it and the labels it predicts.
    static func validate(
        _ model: any Model, pipeline: FeaturePipeline, task: TaskKind, classLabels: [String], decisionThreshold: Double? = nil
    ) throws(BundleInconsistency) {
        try pipeline.validate()
        if let decisionThreshold, task != .classification || classLabels.count != 2 || !(0...1).contains(decisionThreshold) {
            throw BundleInconsistency("a decision threshold (\(decisionThreshold)) needs a binary classifier and a value from 0 to 1")
        }
        if task == .classification, classLabels.count < 2 {
            throw BundleInconsistency("a classifier needs at least two class labels, the bundle has \(classLabels.count)")
        }
        // Labels key dictionaries when probabilities are reported: one label twice would trap there.
        guard Set(classLabels).count == classLabels.count else {
            throw BundleInconsistency("class labels are not distinct: \(classLabels)")
        }
        try model.validate(featureCount: pipeline.featureNames.count, classCount: task == .classification ? classLabels.count : 0)
    }
}
