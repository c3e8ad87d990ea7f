/// The cut on the positive class's probability that a binary classifier predicts with, chosen
/// where a metric of the predicted classes is best on rows the model was not fitted on. On an
/// imbalanced target the usual 0.5 favours the majority class: the minority's F1 is often much
/// better a long way below it.
public enum DecisionThreshold {
    /// Metrics of predicted classes a threshold can be chosen for; for any other metric (a ranking
    /// such as ROC AUC, which no threshold changes) the positive class's F1 is used.
    public static let tunable: Set<Metric> = [.f1, .accuracy, .f1Macro, .f1Weighted]

    /// Below this ratio of the rarest class's rows to the commonest's, a target counts as
    /// imbalanced (crashes' deaths: 0.05).
    public static let imbalanceRatio = 0.25

    /// Fewer positives than this among the held-out rows and a threshold would be fitted to a
    /// handful of rows: none is tuned.
    public static let minimumPositives = 10

    public static func isImbalanced(_ targets: Targets) -> Bool {
        guard targets.task == .classification, targets.classCount >= 2 else { return false }
        var counts = [Int](repeating: 0, count: targets.classCount)
        for label in targets.classes { counts[label] += 1 }
        guard let largest = counts.max(), largest > 0, let smallest = counts.min() else { return false }
        return Double(smallest) / Double(largest) < imbalanceRatio
    }

    /// The threshold on `scores` (the positive class's probabilities) where `metric` of the
    /// predicted classes is highest against `positives`, and that value. A threshold lies halfway
    /// between two neighbouring scores, so it does not depend on one row's exact probability;
    /// among equally good ones the one nearest 0.5 wins.
    public static func best(scores: [Double], positives: [Bool], metric: Metric) -> (threshold: Double, value: Double) {
        let metric = tunable.contains(metric) ? metric : .f1
        // A score that is not a number would never equal itself in the grouping below.
        let scores = scores.map { $0.isFinite ? $0 : 0 }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        let total = positives.count
        let totalPositives = positives.lazy.filter { $0 }.count
        // Predicting nothing positive: the threshold above every score.
        var best = (threshold: 1.0, value: value(metric, truePositives: 0, falsePositives: 0, positives: totalPositives, total: total))
        var truePositives = 0
        var falsePositives = 0
        var index = 0
        while index < order.count {
            let score = scores[order[index]]
            // Rows with equal scores fall on the same side of any threshold.
            while index < order.count, scores[order[index]] == score {
                if positives[order[index]] { truePositives += 1 } else { falsePositives += 1 }
                index += 1
            }
            let next = index < order.count ? scores[order[index]] : 0
            let threshold = (score + next) / 2
            let candidate = value(metric, truePositives: truePositives, falsePositives: falsePositives, positives: totalPositives, total: total)
            if candidate > best.value || (candidate == best.value && abs(threshold - 0.5) < abs(best.threshold - 0.5)) {
                best = (threshold, candidate)
            }
        }
        return best
    }

    static func value(_ metric: Metric, truePositives tp: Int, falsePositives fp: Int, positives: Int, total: Int) -> Double {
        let fn = positives - tp
        let tn = total - positives - fp
        func f1(_ hits: Int, _ wrong: Int, _ missed: Int) -> Double {
            hits == 0 ? 0 : 2 * Double(hits) / Double(2 * hits + wrong + missed)
        }
        switch metric {
        case .accuracy:
            return total == 0 ? 0 : Double(tp + tn) / Double(total)
        case .f1Macro:
            return (f1(tp, fp, fn) + f1(tn, fn, fp)) / 2
        case .f1Weighted:
            guard total > 0 else { return 0 }
            return (f1(tp, fp, fn) * Double(positives) + f1(tn, fn, fp) * Double(total - positives)) / Double(total)
        default:
            return f1(tp, fp, fn)
        }
    }
}
