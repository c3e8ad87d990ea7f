import Foundation

/// What gradient boosting minimises, in one place per loss: where the scores start, the first
/// and second derivatives each round fits a tree to, the loss early stopping watches, and how
/// raw scores become probabilities. A model has one score track per output (one, or one per
/// class for softmax); scores are stored row-major, `tracks` per row.
protocol BoostingObjective: Sendable {
    var tracks: Int { get }
    /// The constant score every row starts from, per track.
    func initialScores(_ targets: Targets, _ weights: [Double]) -> [Double]
    /// Weighted derivatives of the loss with respect to one track's scores.
    func gradients(track: Int, scores: [Double], targets: Targets, weights: [Double], gradients: inout [Double], hessians: inout [Double])
    /// Weighted mean loss.
    func loss(scores: [Double], targets: Targets, weights: [Double]) -> Double
    /// Class probabilities from one row's scores; nil for regression.
    func probabilities(_ scores: ArraySlice<Double>) -> [Double]?
}

enum BoostingObjectives {
    static func objective(task: TaskKind, classCount: Int) -> any BoostingObjective {
        switch task {
        case .regression: SquaredError()
        case .classification: classCount > 2 ? SoftmaxCrossEntropy(tracks: classCount) : BinaryLogLoss()
        }
    }

    /// The sum of `weightedTerm(row, weight)` over the total weight. Inlined so that the term
    /// is too: it runs once per row per round.
    @inline(__always)
    static func weightedMean(_ weights: [Double], _ weightedTerm: (Int, Double) -> Double) -> Double {
        var total = 0.0
        var weightSum = 0.0
        for row in weights.indices {
            weightSum += weights[row]
            total += weightedTerm(row, weights[row])
        }
        return weightSum > 0 ? total / weightSum : 0
    }

    /// Class shares by weight, kept off 0 and 1 so their logarithms stay finite.
    static func priors(_ targets: Targets, _ weights: [Double]) -> [Double] {
        let total = weights.reduce(0, +)
        var priors = [Double](repeating: 0, count: targets.classCount)
        for (label, weight) in zip(targets.classes, weights) { priors[label] += weight / total }
        return priors.map { min(max($0, 1e-15), 1 - 1e-15) }
    }
}

/// Regression: squared error / 2, starting from the weighted mean.
struct SquaredError: BoostingObjective {
    var tracks: Int { 1 }

    func initialScores(_ targets: Targets, _ weights: [Double]) -> [Double] {
        [zip(targets.values, weights).reduce(0) { $0 + $1.0 * $1.1 } / weights.reduce(0, +)]
    }

    func gradients(track: Int, scores: [Double], targets: Targets, weights: [Double], gradients: inout [Double], hessians: inout [Double]) {
        for row in weights.indices {
            gradients[row] = weights[row] * (scores[row] - targets.values[row])
            hessians[row] = weights[row]
        }
    }

    func loss(scores: [Double], targets: Targets, weights: [Double]) -> Double {
        BoostingObjectives.weightedMean(weights) { row, weight in
            let error = scores[row] - targets.values[row]
            return weight * 0.5 * error * error
        }
    }

    func probabilities(_ scores: ArraySlice<Double>) -> [Double]? { nil }
}

/// Two classes: log loss on one track of log-odds, starting from the prior log-odds.
struct BinaryLogLoss: BoostingObjective {
    var tracks: Int { 1 }

    func initialScores(_ targets: Targets, _ weights: [Double]) -> [Double] {
        let priors = BoostingObjectives.priors(targets, weights)
        return [log(priors[1] / priors[0])]
    }

    func gradients(track: Int, scores: [Double], targets: Targets, weights: [Double], gradients: inout [Double], hessians: inout [Double]) {
        for row in weights.indices {
            let probability = 1 / (1 + exp(-scores[row]))
            gradients[row] = weights[row] * (probability - targets.values[row])
            hessians[row] = weights[row] * max(probability * (1 - probability), 1e-16)
        }
    }

    func loss(scores: [Double], targets: Targets, weights: [Double]) -> Double {
        BoostingObjectives.weightedMean(weights) { row, weight in
            let z = scores[row]
            // log(1 + e^z) without overflow, minus y·z.
            return weight * ((z > 0 ? z + log1p(exp(-z)) : log1p(exp(z))) - targets.values[row] * z)
        }
    }

    func probabilities(_ scores: ArraySlice<Double>) -> [Double]? {
        let positive = 1 / (1 + exp(-(scores.first ?? 0)))
        return [1 - positive, positive]
    }
}

/// More than two classes: softmax cross-entropy, one track per class, starting from the log priors.
struct SoftmaxCrossEntropy: BoostingObjective {
    let tracks: Int

    func initialScores(_ targets: Targets, _ weights: [Double]) -> [Double] {
        BoostingObjectives.priors(targets, weights).map { log($0) }
    }

    func gradients(track: Int, scores: [Double], targets: Targets, weights: [Double], gradients: inout [Double], hessians: inout [Double]) {
        for row in weights.indices {
            let base = row * tracks
            let (top, sum) = normaliser(scores, base: base)
            let probability = exp(scores[base + track] - top) / sum
            let label = Int(targets.values[row]) == track ? 1.0 : 0.0
            gradients[row] = weights[row] * (probability - label)
            hessians[row] = weights[row] * max(probability * (1 - probability), 1e-16)
        }
    }

    func loss(scores: [Double], targets: Targets, weights: [Double]) -> Double {
        BoostingObjectives.weightedMean(weights) { row, weight in
            let base = row * tracks
            let (top, sum) = normaliser(scores, base: base)
            return weight * (top + log(sum) - scores[base + Int(targets.values[row])])
        }
    }

    func probabilities(_ scores: ArraySlice<Double>) -> [Double]? {
        let top = scores.max() ?? 0
        let exps = scores.map { exp($0 - top) }
        let sum = exps.reduce(0, +)
        return exps.map { $0 / sum }
    }

    /// The largest score of a row and the sum of exponentials shifted by it (stable softmax).
    private func normaliser(_ scores: [Double], base: Int) -> (top: Double, sum: Double) {
        var top = -Double.infinity
        for k in 0..<tracks { top = max(top, scores[base + k]) }
        var sum = 0.0
        for k in 0..<tracks { sum += exp(scores[base + k] - top) }
        return (top, sum)
    }
}
