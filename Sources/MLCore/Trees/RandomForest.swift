import Dispatch

/// Bagged CART trees (scikit-learn's RandomForestClassifier/Regressor): each tree sees a
/// bootstrap sample and a random subset of features per split; predictions average the trees.
/// Trees grow in parallel; each tree's randomness comes from (seed, tree index) only, so the
/// forest is the same whatever the thread timing.
public struct RandomForest: Model {
    public static let modelType = "random_forest"

    public struct Parameters: Codable, Sendable, Equatable {
        public var estimators: Int
        public var maxDepth: Int?
        public var minSamplesSplit: Int
        public var minSamplesLeaf: Int
        /// nil: "sqrt" for classification, all features for regression (scikit-learn's defaults).
        public var maxFeatures: MaxFeatures?
        public var bootstrap: Bool
        public var seed: UInt64
        public var classWeight: String?
        public var maxBins: Int

        public init(
            estimators: Int = 100, maxDepth: Int? = 10, minSamplesSplit: Int = 2, minSamplesLeaf: Int = 1,
            maxFeatures: MaxFeatures? = nil, bootstrap: Bool = true, seed: UInt64 = 42, classWeight: String? = nil, maxBins: Int = 255
        ) {
            self.estimators = estimators
            self.maxDepth = maxDepth
            self.minSamplesSplit = minSamplesSplit
            self.minSamplesLeaf = minSamplesLeaf
            self.maxFeatures = maxFeatures
            self.bootstrap = bootstrap
            self.seed = seed
            self.classWeight = classWeight
            self.maxBins = maxBins
        }

        enum CodingKeys: String, CodingKey {
            case estimators = "n_estimators"
            case maxDepth = "max_depth"
            case minSamplesSplit = "min_samples_split"
            case minSamplesLeaf = "min_samples_leaf"
            case maxFeatures = "max_features"
            case bootstrap, seed
            case classWeight = "class_weight"
            case maxBins = "max_bins"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let defaults = Parameters()
            estimators = try container.decodeIfPresent(Int.self, forKey: .estimators) ?? defaults.estimators
            maxDepth = container.contains(.maxDepth) ? try container.decodeIfPresent(Int.self, forKey: .maxDepth) : defaults.maxDepth
            minSamplesSplit = try container.decodeIfPresent(Int.self, forKey: .minSamplesSplit) ?? defaults.minSamplesSplit
            minSamplesLeaf = try container.decodeIfPresent(Int.self, forKey: .minSamplesLeaf) ?? defaults.minSamplesLeaf
            maxFeatures = try container.decodeIfPresent(MaxFeatures.self, forKey: .maxFeatures)
            bootstrap = try container.decodeIfPresent(Bool.self, forKey: .bootstrap) ?? defaults.bootstrap
            seed = try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? defaults.seed
            classWeight = try container.decodeIfPresent(String.self, forKey: .classWeight)
            maxBins = try container.decodeIfPresent(Int.self, forKey: .maxBins) ?? defaults.maxBins
        }

        /// Keeps one job from running for days or exhausting memory (every tree is kept).
        static let maxEstimators = 5_000

        func validate() throws {
            if !(1...Self.maxEstimators).contains(estimators) {
                throw ModelError.invalidParameter(name: "n_estimators", problem: "must be between 1 and \(Self.maxEstimators)")
            }
            if let maxDepth, maxDepth < 1 { throw ModelError.invalidParameter(name: "max_depth", problem: "must be at least 1 or null") }
            if minSamplesSplit < 2 { throw ModelError.invalidParameter(name: "min_samples_split", problem: "must be at least 2") }
            if minSamplesLeaf < 1 { throw ModelError.invalidParameter(name: "min_samples_leaf", problem: "must be at least 1") }
            if !(2...255).contains(maxBins) { throw ModelError.invalidParameter(name: "max_bins", problem: "must be between 2 and 255") }
            try ClassWeights.validate(classWeight)
        }
    }

    public var parameters: Parameters
    public private(set) var trees: [TreeStructure] = []
    public private(set) var task: TaskKind = .regression
    public private(set) var outputs = 1
    public private(set) var featureImportances: [Double] = []
    /// The trees packed for prediction; rebuilt after fitting and loading, never serialised.
    private var packed = PackedForest()

    public init(parameters: Parameters = Parameters()) {
        self.parameters = parameters
    }

    enum CodingKeys: String, CodingKey {
        case parameters, trees, task, outputs, featureImportances
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        parameters = try container.decode(Parameters.self, forKey: .parameters)
        task = try container.decode(TaskKind.self, forKey: .task)
        outputs = try container.decode(Int.self, forKey: .outputs)
        guard (1...TreeStructure.maximumLeafWidth).contains(outputs) else { throw BundleInconsistency("random_forest: \(outputs) outputs per leaf") }
        trees = try container.decodeTrees(forKey: .trees, leafWidth: outputs, userInfo: decoder.userInfo)
        featureImportances = try container.decode([Double].self, forKey: .featureImportances)
        // Packing reads the trees unchecked: they are checked first.
        for (index, tree) in trees.enumerated() {
            try tree.validate(featureCount: featureImportances.count, leafWidth: outputs, name: "random_forest tree \(index)")
        }
        packed = PackedForest(trees, leafWidth: outputs)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(parameters, forKey: .parameters)
        try container.encode(task, forKey: .task)
        try container.encode(outputs, forKey: .outputs)
        try container.encodeTrees(trees, leafWidth: outputs, forKey: .trees, userInfo: encoder.userInfo)
        try container.encode(featureImportances, forKey: .featureImportances)
    }

    public mutating func fit(_ features: FeatureMatrix, _ targets: Targets, weights: [Double]?) throws {
        try fit(features, targets, weights: weights, progress: nil)
    }

    public mutating func fit(_ features: FeatureMatrix, _ targets: Targets, weights: [Double]?, progress: FitProgress?) throws {
        try parameters.validate()
        try ModelError.checkShapes(features, targets)
        progress?.begin(steps: parameters.estimators)
        task = targets.task
        outputs = task == .classification ? targets.classCount : 1
        let sampleWeights = ClassWeights.combine(weights, classWeight: parameters.classWeight, targets: targets)
        let data = BinnedMatrix(features, maxBins: parameters.maxBins)
        let defaultFeatures: MaxFeatures = task == .classification ? .sqrt : .fraction(1)
        let settings = TreeSettings(
            maxDepth: parameters.maxDepth,
            minSamplesSplit: parameters.minSamplesSplit,
            minSamplesLeaf: parameters.minSamplesLeaf,
            featuresPerSplit: (parameters.maxFeatures ?? defaultFeatures).resolve(features.columns)
        )
        let grown = Self.growTrees(
            count: parameters.estimators, data: data, targets: targets, weights: sampleWeights, settings: settings,
            bootstrap: parameters.bootstrap, seed: parameters.seed, progress: progress
        )
        try progress?.checkStop()
        trees = grown.map(\.tree)
        packed = PackedForest(trees, leafWidth: outputs)
        var importances = [Double](repeating: 0, count: features.columns)
        for tree in grown { for (index, value) in tree.importances.enumerated() { importances[index] += value } }
        let total = importances.reduce(0, +)
        featureImportances = total > 0 ? importances.map { $0 / total } : importances
    }

    static func growTrees(
        count: Int, data: BinnedMatrix, targets: Targets, weights: [Double], settings: TreeSettings, bootstrap: Bool, seed: UInt64,
        progress: FitProgress? = nil
    ) -> [(tree: TreeStructure, importances: [Double])] {
        let slots = UnsafeMutableBufferPointer<(tree: TreeStructure, importances: [Double])?>.allocate(capacity: count)
        slots.initialize(repeating: nil)
        defer {
            slots.deinitialize()
            slots.deallocate()
        }
        let shared = UncheckedBox(slots)
        DispatchQueue.concurrentPerform(iterations: count) { index in
            // Trees not started yet are skipped once a stop is requested.
            if progress?.stopRequested == true { return }
            // A distinct, reproducible stream per tree.
            var seeder = SeededGenerator(seed: seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
            let treeSeed = seeder.next()
            var sampler = SeededGenerator(seed: treeSeed)
            var treeWeights = weights
            if bootstrap {
                var multiplicity = [Double](repeating: 0, count: data.rows)
                for _ in 0..<data.rows { multiplicity[Int(sampler.next() % UInt64(data.rows))] += 1 }
                for row in 0..<data.rows { treeWeights[row] *= multiplicity[row] }
            }
            let rows = (0..<data.rows).filter { treeWeights[$0] > 0 }.map { Int32($0) }
            var grower = TreeGrower(data: data, targets: targets, settings: settings, seed: sampler.next())
            let tree = grower.grow(rows: rows, weights: treeWeights)
            shared.value[index] = (tree, grower.importances)
            progress?.advance()
        }
        return slots.compactMap { $0 }
    }

    public func predict(_ features: FeatureMatrix) -> [Double] {
        let averaged = averagedLeaves(features)
        guard task == .classification else { return averaged.map { $0[0] } }
        return averaged.map { row in Double(row.indices.max { row[$0] < row[$1] } ?? 0) }
    }

    public func predictProbabilities(_ features: FeatureMatrix) -> [[Double]]? {
        task == .classification ? averagedLeaves(features) : nil
    }

    /// A large batch is averaged on every core.
    private func averagedLeaves(_ features: FeatureMatrix) -> [[Double]] {
        let scale = 1 / Double(max(trees.count, 1))
        let sums = features.mapRows(outputs: outputs, minimumPerTask: 512) { row, output in packed.accumulateLeaves(row: row, into: output) }
        return (0..<features.rows).map { row in sums[(row * outputs)..<((row + 1) * outputs)].map { $0 * scale } }
    }
}

/// One CART tree: a forest of one tree without bootstrap or feature sampling.
public struct DecisionTree: Model {
    public static let modelType = "decision_tree"

    public struct Parameters: Codable, Sendable, Equatable {
        public var maxDepth: Int?
        public var minSamplesSplit: Int
        public var minSamplesLeaf: Int
        public var classWeight: String?
        public var maxBins: Int

        public init(maxDepth: Int? = 10, minSamplesSplit: Int = 2, minSamplesLeaf: Int = 1, classWeight: String? = nil, maxBins: Int = 255) {
            self.maxDepth = maxDepth
            self.minSamplesSplit = minSamplesSplit
            self.minSamplesLeaf = minSamplesLeaf
            self.classWeight = classWeight
            self.maxBins = maxBins
        }

        enum CodingKeys: String, CodingKey {
            case maxDepth = "max_depth"
            case minSamplesSplit = "min_samples_split"
            case minSamplesLeaf = "min_samples_leaf"
            case classWeight = "class_weight"
            case maxBins = "max_bins"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let defaults = Parameters()
            maxDepth = container.contains(.maxDepth) ? try container.decodeIfPresent(Int.self, forKey: .maxDepth) : defaults.maxDepth
            minSamplesSplit = try container.decodeIfPresent(Int.self, forKey: .minSamplesSplit) ?? defaults.minSamplesSplit
            minSamplesLeaf = try container.decodeIfPresent(Int.self, forKey: .minSamplesLeaf) ?? defaults.minSamplesLeaf
            classWeight = try container.decodeIfPresent(String.self, forKey: .classWeight)
            maxBins = try container.decodeIfPresent(Int.self, forKey: .maxBins) ?? defaults.maxBins
        }
    }

    public var parameters: Parameters
    private var forest: RandomForest

    public init(parameters: Parameters = Parameters()) {
        self.parameters = parameters
        forest = RandomForest(
            parameters: .init(
                estimators: 1, maxDepth: parameters.maxDepth, minSamplesSplit: parameters.minSamplesSplit,
                minSamplesLeaf: parameters.minSamplesLeaf, maxFeatures: .fraction(1), bootstrap: false,
                classWeight: parameters.classWeight, maxBins: parameters.maxBins
            ))
    }

    public var tree: TreeStructure? { forest.trees.first }

    public mutating func fit(_ features: FeatureMatrix, _ targets: Targets, weights: [Double]?) throws {
        try forest.fit(features, targets, weights: weights)
    }

    public mutating func fit(_ features: FeatureMatrix, _ targets: Targets, weights: [Double]?, progress: FitProgress?) throws {
        try forest.fit(features, targets, weights: weights, progress: progress)
    }

    public func predict(_ features: FeatureMatrix) -> [Double] { forest.predict(features) }
    public func predictProbabilities(_ features: FeatureMatrix) -> [[Double]]? { forest.predictProbabilities(features) }
    public var featureImportances: [Double] { forest.featureImportances }
}

extension RandomForest {
    public func validate(featureCount: Int, classCount: Int) throws(BundleInconsistency) {
        guard !trees.isEmpty, featureImportances.count == featureCount else {
            throw BundleInconsistency("random_forest: \(trees.count) trees, \(featureImportances.count) importances for \(featureCount) features")
        }
        guard outputs == (classCount == 0 ? 1 : classCount), (task == .classification) == (classCount > 0) else {
            throw BundleInconsistency("random_forest: \(outputs) outputs per leaf for \(classCount) labels")
        }
        for (index, tree) in trees.enumerated() {
            try tree.validate(featureCount: featureCount, leafWidth: outputs, name: "random_forest tree \(index)")
        }
    }
}

extension DecisionTree {
    public func validate(featureCount: Int, classCount: Int) throws(BundleInconsistency) {
        try forest.validate(featureCount: featureCount, classCount: classCount)
    }
}
