import Foundation

/// How per-class precision/recall/F1 are combined (scikit-learn's `average`).
public enum Averaging: Sendable, Equatable {
    /// Only the given positive class (binary tasks).
    case binary(positive: Int)
    /// Unweighted mean over classes.
    case macro
    /// Mean over classes weighted by their support in `truth`.
    case weighted
}

public struct PrecisionRecallF1: Sendable, Equatable {
    public var precision: Double
    public var recall: Double
    public var f1: Double

    public init(precision: Double, recall: Double, f1: Double) {
        self.precision = precision
        self.recall = recall
        self.f1 = f1
    }
}

/// Classification metrics on class indices (0..<k) and per-class probabilities, with
/// scikit-learn's conventions (0 where a ratio has an empty denominator).
public enum ClassificationMetrics {
    public static func accuracy(truth: [Int], predicted: [Int]) -> Double {
        precondition(truth.count == predicted.count, "truth and predictions differ in length")
        guard !truth.isEmpty else { return 0 }
        return Double(zip(truth, predicted).filter { $0 == $1 }.count) / Double(truth.count)
    }

    /// `matrix[actual][predicted]` counts.
    public static func confusionMatrix(truth: [Int], predicted: [Int], classCount: Int) -> [[Int]] {
        var matrix = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
        for (actual, guess) in zip(truth, predicted) { matrix[actual][guess] += 1 }
        return matrix
    }

    public static func precisionRecallF1(truth: [Int], predicted: [Int], classCount: Int, averaging: Averaging) -> PrecisionRecallF1 {
        let matrix = confusionMatrix(truth: truth, predicted: predicted, classCount: classCount)
        func scores(_ label: Int) -> PrecisionRecallF1 {
            let truePositives = Double(matrix[label][label])
            let predictedPositives = Double((0..<classCount).reduce(0) { $0 + matrix[$1][label] })
            let actualPositives = Double(matrix[label].reduce(0, +))
            let precision = predictedPositives > 0 ? truePositives / predictedPositives : 0
            let recall = actualPositives > 0 ? truePositives / actualPositives : 0
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            return PrecisionRecallF1(precision: precision, recall: recall, f1: f1)
        }
        switch averaging {
        case .binary(let positive):
            return scores(positive)
        case .macro, .weighted:
            // As scikit-learn: the classes seen in either truth or predictions.
            let present = Set(truth).union(predicted).sorted()
            guard !present.isEmpty else { return PrecisionRecallF1(precision: 0, recall: 0, f1: 0) }
            let support = present.map { label in Double(truth.filter { $0 == label }.count) }
            let weights = averaging == .macro ? present.map { _ in 1.0 } : support
            let total = weights.reduce(0, +)
            guard total > 0 else { return PrecisionRecallF1(precision: 0, recall: 0, f1: 0) }
            var result = PrecisionRecallF1(precision: 0, recall: 0, f1: 0)
            for (label, weight) in zip(present, weights) {
                let score = scores(label)
                result.precision += score.precision * weight / total
                result.recall += score.recall * weight / total
                result.f1 += score.f1 * weight / total
            }
            return result
        }
    }

    /// Binary ROC AUC: the probability that a random positive scores above a random negative
    /// (ties count half), computed from average ranks. nil when only one class is present.
    public static func rocAUC(truth: [Bool], scores: [Double]) -> Double? {
        let positives = truth.filter { $0 }.count
        let negatives = truth.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        var rankSum = 0.0
        var index = 0
        while index < order.count {
            var end = index
            while end + 1 < order.count, scores[order[end + 1]] == scores[order[index]] { end += 1 }
            let averageRank = Double(index + end + 2) / 2
            for position in index...end where truth[order[position]] { rankSum += averageRank }
            index = end + 1
        }
        let positiveCount = Double(positives)
        return (rankSum - positiveCount * (positiveCount + 1) / 2) / (positiveCount * Double(negatives))
    }

    /// One-vs-rest ROC AUC averaged over classes (scikit-learn `multi_class="ovr", average="macro"`).
    public static func rocAUCOneVsRest(truth: [Int], probabilities: [[Double]], classCount: Int) -> Double? {
        var total = 0.0
        for label in 0..<classCount {
            guard let auc = rocAUC(truth: truth.map { $0 == label }, scores: probabilities.map { $0[label] }) else { return nil }
            total += auc
        }
        return total / Double(classCount)
    }

    /// Mean negative log-likelihood of the true class; probabilities are clipped to [ε, 1−ε]
    /// and renormalised per row, as scikit-learn does.
    public static func logLoss(truth: [Int], probabilities: [[Double]]) -> Double {
        guard !truth.isEmpty else { return 0 }
        let epsilon = Double.ulpOfOne
        var total = 0.0
        for (label, row) in zip(truth, probabilities) {
            let clipped = row.map { min(max($0, epsilon), 1 - epsilon) }
            let sum = clipped.reduce(0, +)
            total -= log(clipped[label] / sum)
        }
        return total / Double(truth.count)
    }

    /// Points of the ROC curve (false positive rate, true positive rate) at each distinct threshold.
    public static func rocCurve(truth: [Bool], scores: [Double]) -> [(falsePositiveRate: Double, truePositiveRate: Double)] {
        let positives = Double(truth.filter { $0 }.count)
        let negatives = Double(truth.count) - positives
        guard positives > 0, negatives > 0 else { return [] }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var points: [(Double, Double)] = [(0, 0)]
        var truePositives = 0.0
        var falsePositives = 0.0
        for (position, index) in order.enumerated() {
            if truth[index] { truePositives += 1 } else { falsePositives += 1 }
            let isLastOfThreshold = position + 1 == order.count || scores[order[position + 1]] != scores[index]
            if isLastOfThreshold { points.append((falsePositives / negatives, truePositives / positives)) }
        }
        return points
    }
}
