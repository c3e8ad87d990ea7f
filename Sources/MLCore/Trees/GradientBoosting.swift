import Dispatch
import Foundation

/// Histogram gradient boosting in the manner of LightGBM: features binned to ≤ 255 values,
/// trees grown leaf-wise (best gain first) up to `num_leaves` and `max_depth`, histogram
/// subtraction for siblings, L2-regularised Newton leaf values, optional row and feature
/// subsampling, and early stopping on a held-out share of the training rows.
public struct GradientBoosting: Model {
    public static let modelType = "gradient_boosting"

    public struct Parameters: Codable, Sendable, Equatable {
        public var estimators: Int
        public var learningRate: Double
        public var numLeaves: Int
        public var maxDepth: Int?
        public var minDataInLeaf: Int
        public var minSumHessianInLeaf: Double
        public var lambdaL2: Double
        public var featureFraction: Double
        public var baggingFraction: Double
        /// Share of training rows held out to decide when to stop; 0 disables early stopping.
        public var validationFraction: Double
        public var earlyStoppingRounds: Int
        public var maxBins: Int
        public var seed: UInt64
        public var classWeight: String?
        /// Split categorical columns by sets of categories (LightGBM's way) rather than by the
        /// order of their codes; the settings below are LightGBM's, with its defaults.
        public var categoricalSplits: Bool
        /// At most this many categories on the left of one split.
        public var maxCatThreshold: Int
        /// Added to each category's hessian when categories are ordered, and the fewest rows a
        /// category needs in a leaf to be sent left on its own merit.
        public var catSmooth: Double
        /// Extra L2 regularisation of categorical splits.
        public var catL2: Double
        /// Rows between two candidate cuts of the ordered categories.
        public var minDataPerGroup: Int
        /// Up to this many categories in a leaf, one category against the rest.
        public var maxCatToOnehot: Int

        public init(
            estimators: Int = 300, learningRate: Double = 0.1, numLeaves: Int = 31, maxDepth: Int? = 6, minDataInLeaf: Int = 20,
            minSumHessianInLeaf: Double = 1e-3, lambdaL2: Double = 0, featureFraction: Double = 1, baggingFraction: Double = 1,
            validationFraction: Double = 0, earlyStoppingRounds: Int = 20, maxBins: Int = 255, seed: UInt64 = 42, classWeight: String? = nil,
            categoricalSplits: Bool = true, maxCatThreshold: Int = 32, catSmooth: Double = 10, catL2: Double = 10, minDataPerGroup: Int = 100,
            maxCatToOnehot: Int = 4
        ) {
            self.estimators = estimators
            self.learningRate = learningRate
            self.numLeaves = numLeaves
            self.maxDepth = maxDepth
            self.minDataInLeaf = minDataInLeaf
            self.minSumHessianInLeaf = minSumHessianInLeaf
            self.lambdaL2 = lambdaL2
            self.featureFraction = featureFraction
            self.baggingFraction = baggingFraction
            self.validationFraction = validationFraction
            self.earlyStoppingRounds = earlyStoppingRounds
            self.maxBins = maxBins
            self.seed = seed
            self.classWeight = classWeight
            self.categoricalSplits = categoricalSplits
            self.maxCatThreshold = maxCatThreshold
            self.catSmooth = catSmooth
            self.catL2 = catL2
            self.minDataPerGroup = minDataPerGroup
            self.maxCatToOnehot = maxCatToOnehot
        }

        enum CodingKeys: String, CodingKey {
            case estimators = "n_estimators"
            case learningRate = "learning_rate"
            case numLeaves = "num_leaves"
            case maxDepth = "max_depth"
            case minDataInLeaf = "min_data_in_leaf"
            case minSumHessianInLeaf = "min_sum_hessian_in_leaf"
            case lambdaL2 = "lambda_l2"
            case featureFraction = "feature_fraction"
            case baggingFraction = "bagging_fraction"
            case validationFraction = "validation_fraction"
            case earlyStoppingRounds = "early_stopping_rounds"
            case maxBins = "max_bins"
            case seed
            case classWeight = "class_weight"
            case categoricalSplits = "categorical_splits"
            case maxCatThreshold = "max_cat_threshold"
            case catSmooth = "cat_smooth"
            case catL2 = "cat_l2"
            case minDataPerGroup = "min_data_per_group"
            case maxCatToOnehot = "max_cat_to_onehot"
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            let d = Parameters()
            estimators = try container.decodeIfPresent(Int.self, forKey: .estimators) ?? d.estimators
            learningRate = try container.decodeIfPresent(Double.self, forKey: .learningRate) ?? d.learningRate
            numLeaves = try container.decodeIfPresent(Int.self, forKey: .numLeaves) ?? d.numLeaves
            maxDepth = container.contains(.maxDepth) ? try container.decodeIfPresent(Int.self, forKey: .maxDepth) : d.maxDepth
            minDataInLeaf = try container.decodeIfPresent(Int.self, forKey: .minDataInLeaf) ?? d.minDataInLeaf
            minSumHessianInLeaf = try container.decodeIfPresent(Double.self, forKey: .minSumHessianInLeaf) ?? d.minSumHessianInLeaf
            lambdaL2 = try container.decodeIfPresent(Double.self, forKey: .lambdaL2) ?? d.lambdaL2
            featureFraction = try container.decodeIfPresent(Double.self, forKey: .featureFraction) ?? d.featureFraction
            baggingFraction = try container.decodeIfPresent(Double.self, forKey: .baggingFraction) ?? d.baggingFraction
            validationFraction = try container.decodeIfPresent(Double.self, forKey: .validationFraction) ?? d.validationFraction
            earlyStoppingRounds = try container.decodeIfPresent(Int.self, forKey: .earlyStoppingRounds) ?? d.earlyStoppingRounds
            maxBins = try container.decodeIfPresent(Int.self, forKey: .maxBins) ?? d.maxBins
            seed = try container.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
            classWeight = try container.decodeIfPresent(String.self, forKey: .classWeight)
            categoricalSplits = try container.decodeIfPresent(Bool.self, forKey: .categoricalSplits) ?? d.categoricalSplits
            maxCatThreshold = try container.decodeIfPresent(Int.self, forKey: .maxCatThreshold) ?? d.maxCatThreshold
            catSmooth = try container.decodeIfPresent(Double.self, forKey: .catSmooth) ?? d.catSmooth
            catL2 = try container.decodeIfPresent(Double.self, forKey: .catL2) ?? d.catL2
            minDataPerGroup = try container.decodeIfPresent(Int.self, forKey: .minDataPerGroup) ?? d.minDataPerGroup
            maxCatToOnehot = try container.decodeIfPresent(Int.self, forKey: .maxCatToOnehot) ?? d.maxCatToOnehot
        }

        /// Bounds that keep one job from running for days or exhausting memory; LightGBM's own
        /// bound on leaves.
        static let maxEstimators = 10_000
        static let maxLeaves = 131_072

        func validate() throws {
            func fail(_ name: String, _ problem: String) throws { throw ModelError.invalidParameter(name: name, problem: problem) }
            if !(1...Self.maxEstimators).contains(estimators) { try fail("n_estimators", "must be between 1 and \(Self.maxEstimators)") }
            if numLeaves > Self.maxLeaves { try fail("num_leaves", "must be at most \(Self.maxLeaves)") }
            if !(learningRate > 0) { try fail("learning_rate", "must be positive") }
            if numLeaves < 2 { try fail("num_leaves", "must be at least 2") }
            if let maxDepth, maxDepth < 1 { try fail("max_depth", "must be at least 1 or null") }
            if minDataInLeaf < 1 { try fail("min_data_in_leaf", "must be at least 1") }
            if lambdaL2 < 0 { try fail("lambda_l2", "must be ≥ 0") }
            if !(featureFraction > 0 && featureFraction <= 1) { try fail("feature_fraction", "must be in (0, 1]") }
            if !(baggingFraction > 0 && baggingFraction <= 1) { try fail("bagging_fraction", "must be in (0, 1]") }
            if !(validationFraction >= 0 && validationFraction < 1) { try fail("validation_fraction", "must be in [0, 1)") }
            if earlyStoppingRounds < 1 { try fail("early_stopping_rounds", "must be at least 1") }
            if !(2...255).contains(maxBins) { try fail("max_bins", "must be between 2 and 255") }
            if maxCatThreshold < 1 { try fail("max_cat_threshold", "must be at least 1") }
            if !(catSmooth >= 0) { try fail("cat_smooth", "must be ≥ 0") }
            if !(catL2 >= 0) { try fail("cat_l2", "must be ≥ 0") }
            if minDataPerGroup < 1 { try fail("min_data_per_group", "must be at least 1") }
            if maxCatToOnehot < 1 { try fail("max_cat_to_onehot", "must be at least 1") }
            try ClassWeights.validate(classWeight)
        }
    }

    public var parameters: Parameters
    public private(set) var task: TaskKind = .regression
    /// Score tracks: 1 for regression and binary, one per class for multiclass.
    public private(set) var tracks = 1
    public private(set) var classCount = 0
    public private(set) var initialScores: [Double] = []
    /// Round-major: `trees[round * tracks + track]`.
    public private(set) var trees: [TreeStructure] = []
    /// Training loss after each round (on the rows used for fitting).
    public private(set) var trainingLoss: [Double] = []
    /// Validation loss per round when early stopping is on.
    public private(set) var validationLoss: [Double] = []
    public private(set) var bestRound: Int?
    public private(set) var featureImportances: [Double] = []
    /// The trees packed for prediction; rebuilt after fitting and loading, never serialised.
    private var packed = PackedForest()

    public init(parameters: Parameters = Parameters()) {
        self.parameters = parameters
    }

    enum CodingKeys: String, CodingKey {
        case parameters, task, tracks, classCount, initialScores, trees, trainingLoss, validationLoss, bestRound, featureImportances
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        parameters = try container.decode(Parameters.self, forKey: .parameters)
        task = try container.decode(TaskKind.self, forKey: .task)
        tracks = try container.decode(Int.self, forKey: .tracks)
        classCount = try container.decode(Int.self, forKey: .classCount)
        initialScores = try container.decode([Double].self, forKey: .initialScores)
        trees = try container.decodeTrees(forKey: .trees, leafWidth: 1, userInfo: decoder.userInfo)
        trainingLoss = try container.decode([Double].self, forKey: .trainingLoss)
        validationLoss = try container.decode([Double].self, forKey: .validationLoss)
        bestRound = try container.decodeIfPresent(Int.self, forKey: .bestRound)
        featureImportances = try container.decode([Double].self, forKey: .featureImportances)
        try validateTrees()
        packed = PackedForest(trees)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(parameters, forKey: .parameters)
        try container.encode(task, forKey: .task)
        try container.encode(tracks, forKey: .tracks)
        try container.encode(classCount, forKey: .classCount)
        try container.encode(initialScores, forKey: .initialScores)
        try container.encodeTrees(trees, leafWidth: 1, forKey: .trees, userInfo: encoder.userInfo)
        try container.encode(trainingLoss, forKey: .trainingLoss)
        try container.encode(validationLoss, forKey: .validationLoss)
        try container.encodeIfPresent(bestRound, forKey: .bestRound)
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
        classCount = targets.classCount
        let objective = BoostingObjectives.objective(task: task, classCount: classCount)
        tracks = objective.tracks
        let sampleWeights = ClassWeights.combine(weights, classWeight: parameters.classWeight, targets: targets)

        // Hold out a (stratified) validation share for early stopping.
        var fitRows = Array(0..<features.rows)
        var validationRows: [Int] = []
        if parameters.validationFraction > 0 {
            let split =
                task == .classification
                ? Splitting.stratified(classes: targets.classes, classCount: classCount, testSize: parameters.validationFraction, seed: parameters.seed)
                : Splitting.shuffled(count: features.rows, testSize: parameters.validationFraction, seed: parameters.seed)
            fitRows = split.train
            validationRows = split.test
        }
        let fitFeatures = features.selecting(rows: fitRows)
        let fitTargets = targets.selecting(rows: fitRows)
        let fitWeights = fitRows.map { sampleWeights[$0] }
        let validationFeatures = features.selecting(rows: validationRows)
        let validationTargets = targets.selecting(rows: validationRows)
        let validationWeights = validationRows.map { sampleWeights[$0] }

        let data = BinnedMatrix(fitFeatures, maxBins: parameters.maxBins, categorical: parameters.categoricalSplits)
        let n = data.rows
        initialScores = objective.initialScores(fitTargets, fitWeights)
        var scores = [Double](repeating: 0, count: n * tracks)
        for row in 0..<n { for track in 0..<tracks { scores[row * tracks + track] = initialScores[track] } }
        var validationScores = [Double](repeating: 0, count: validationRows.count * tracks)
        for row in 0..<validationRows.count { for track in 0..<tracks { validationScores[row * tracks + track] = initialScores[track] } }

        var generator = SeededGenerator(seed: parameters.seed)
        var importances = [Double](repeating: 0, count: features.columns)
        trees = []
        trainingLoss = []
        validationLoss = []
        bestRound = nil
        var bestLoss = Double.infinity
        var gradients = [Double](repeating: 0, count: n)
        var hessians = [Double](repeating: 0, count: n)
        let workers = FitWorkers()
        defer { workers.finish() }
        let grower = LeafWiseGrower(data: data, parameters: parameters, workers: workers)
        let allRows = (0..<n).map { Int32($0) }

        for round in 0..<parameters.estimators {
            try progress?.checkStop()
            let rows = bagging(allRows, &generator)
            let featureMask = featureSubset(data.columns, &generator)
            for track in 0..<tracks {
                objective.gradients(track: track, scores: scores, targets: fitTargets, weights: fitWeights, gradients: &gradients, hessians: &hessians)
                let (tree, leafOfRow, gains) = grower.grow(rows: rows, gradients: gradients, hessians: hessians, features: featureMask)
                for (feature, gain) in gains.enumerated() { importances[feature] += gain }
                // Every training row's leaf is known from the partition (bagged-out rows are routed through the tree).
                for row in 0..<n {
                    let offset = leafOfRow[row] >= 0 ? Int(leafOfRow[row]) : tree.leafOffset(for: fitFeatures.row(row))
                    scores[row * tracks + track] += tree.leafValues[offset]
                }
                for row in 0..<validationRows.count {
                    validationScores[row * tracks + track] += tree.leafValues[tree.leafOffset(for: validationFeatures.row(row))]
                }
                trees.append(tree)
            }
            progress?.advance()
            trainingLoss.append(objective.loss(scores: scores, targets: fitTargets, weights: fitWeights))
            if !validationRows.isEmpty {
                let loss = objective.loss(scores: validationScores, targets: validationTargets, weights: validationWeights)
                validationLoss.append(loss)
                if loss < bestLoss - 1e-12 {
                    bestLoss = loss
                    bestRound = round
                } else if let best = bestRound, round - best >= parameters.earlyStoppingRounds {
                    break
                }
            }
        }
        if let bestRound { trees = Array(trees.prefix((bestRound + 1) * tracks)) }
        packed = PackedForest(trees)
        let total = importances.reduce(0, +)
        featureImportances = total > 0 ? importances.map { $0 / total } : importances
    }

    private func bagging(_ allRows: [Int32], _ generator: inout SeededGenerator) -> [Int32] {
        let n = allRows.count
        guard parameters.baggingFraction < 1 else { return allRows }
        return (0..<n).filter { _ in generator.nextUnit() < parameters.baggingFraction }.map { Int32($0) }
    }

    private func featureSubset(_ count: Int, _ generator: inout SeededGenerator) -> [Bool] {
        guard parameters.featureFraction < 1 else { return Array(repeating: true, count: count) }
        let keep = max(1, Int((parameters.featureFraction * Double(count)).rounded()))
        var order = Array(0..<count)
        for index in 0..<keep { order.swapAt(index, index + Int(generator.next() % UInt64(count - index))) }
        var mask = Array(repeating: false, count: count)
        for index in order.prefix(keep) { mask[index] = true }
        return mask
    }

    /// A large batch is scored on every core.
    public func rawScores(_ features: FeatureMatrix) -> [Double] {
        features.mapRows(outputs: tracks, minimumPerTask: 1024) { row, output in
            for track in output.indices { output[track] = initialScores[track] }
            packed.accumulate(row: row, tracks: output.count, into: output)
        }
    }

    public func predict(_ features: FeatureMatrix) -> [Double] {
        guard task == .classification, let probabilities = predictProbabilities(features) else { return rawScores(features) }
        return probabilities.map { row in Double(row.indices.max { row[$0] < row[$1] } ?? 0) }
    }

    public func predictProbabilities(_ features: FeatureMatrix) -> [[Double]]? {
        guard task == .classification else { return nil }
        let objective = BoostingObjectives.objective(task: task, classCount: classCount)
        let scores = rawScores(features)
        return (0..<features.rows).map { row in
            objective.probabilities(scores[(row * tracks)..<((row + 1) * tracks)]) ?? []
        }
    }
}

extension GradientBoosting {
    var hasCategoricalSplits: Bool { trees.contains { !$0.categorySet.isEmpty } }

    public func validate(featureCount: Int, classCount: Int) throws(BundleInconsistency) {
        guard featureImportances.count == featureCount else {
            throw BundleInconsistency("gradient_boosting: \(featureImportances.count) importances for \(featureCount) features")
        }
        guard (task == .classification) == (classCount > 0), self.classCount == classCount else {
            throw BundleInconsistency("gradient_boosting: fitted for \(self.classCount) classes, the bundle has \(classCount) labels")
        }
        try validateTrees()
    }

    /// What packing the trees needs, checked before they are packed at decode: score tracks
    /// that divide the trees, and trees that are trees.
    func validateTrees() throws(BundleInconsistency) {
        guard tracks == BoostingObjectives.objective(task: task, classCount: classCount).tracks, initialScores.count == tracks,
            !trees.isEmpty, trees.count % tracks == 0
        else {
            throw BundleInconsistency("gradient_boosting: \(trees.count) trees and \(initialScores.count) initial scores for \(tracks) tracks")
        }
        for (index, tree) in trees.enumerated() {
            try tree.validate(featureCount: featureImportances.count, leafWidth: 1, name: "gradient_boosting tree \(index)")
        }
    }
}
