/// Synthetic Minority Over-sampling (Chawla et al., 2002), as imbalanced-learn does it: every
/// minority class is grown to the majority's size with points placed at
/// random along the segment between a minority sample and one of its k nearest minority neighbours.
public enum SMOTE {
    public struct Result: Sendable {
        public var features: FeatureMatrix
        public var targets: Targets
    }

    public static func resample(_ features: FeatureMatrix, _ targets: Targets, neighbours k: Int = 5, seed: UInt64 = 42) -> Result {
        precondition(targets.task == .classification, "SMOTE applies to classification")
        var generator = SeededGenerator(seed: seed)
        var members = Array(repeating: [Int](), count: targets.classCount)
        for (row, label) in targets.classes.enumerated() { members[label].append(row) }
        let majority = members.map(\.count).max() ?? 0
        var values = features.values
        var labels = targets.values
        for (label, rows) in members.enumerated() where rows.count > 1 && rows.count < majority {
            let neighbours = nearestNeighbours(features, among: rows, k: min(k, rows.count - 1))
            for _ in 0..<(majority - rows.count) {
                let pick = Int(generator.next() % UInt64(rows.count))
                let base = rows[pick]
                let neighbourList = neighbours[pick]
                let other = neighbourList[Int(generator.next() % UInt64(neighbourList.count))]
                let gap = generator.nextUnit()
                for column in 0..<features.columns {
                    let a = features[base, column]
                    values.append(a + gap * (features[other, column] - a))
                }
                labels.append(Double(label))
            }
        }
        let rows = labels.count
        return Result(
            features: FeatureMatrix(rows: rows, columns: features.columns, values: values, names: features.names),
            targets: Targets(task: .classification, values: labels, labels: targets.labels)
        )
    }

    /// For each listed row, the `k` closest other listed rows (Euclidean); brute force, which is
    /// fine for minority classes of tabular data.
    static func nearestNeighbours(_ features: FeatureMatrix, among rows: [Int], k: Int) -> [[Int]] {
        rows.map { row in
            var distances: [(distance: Double, row: Int)] = []
            distances.reserveCapacity(rows.count)
            for other in rows where other != row {
                var sum = 0.0
                for column in 0..<features.columns {
                    let difference = features[row, column] - features[other, column]
                    sum += difference * difference
                }
                distances.append((sum, other))
            }
            distances.sort { $0.distance < $1.distance || ($0.distance == $1.distance && $0.row < $1.row) }
            return distances.prefix(k).map(\.row)
        }
    }
}
