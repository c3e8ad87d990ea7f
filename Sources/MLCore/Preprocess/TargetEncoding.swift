/// Maps a classification target to class indices with labels in a stable order: text labels
/// sorted, numbers in numeric order (written without a trailing `.0`), booleans false < true.
public enum TargetEncoding {
    public static func classes(of column: Column) throws(PreprocessError) -> (labels: [String], classes: [Int]) {
        switch column.storage {
        case .categorical(let codes, let labels):
            let used = Set(codes.filter { $0 >= 0 }).map { labels[Int($0)] }.sorted()
            let index = Dictionary(uniqueKeysWithValues: used.enumerated().map { ($1, $0) })
            return (used, codes.map { $0 < 0 ? -1 : index[labels[Int($0)]]! })
        case .boolean(let values):
            let used = [Int8(0), 1].filter { values.contains($0) }
            let labels = used.map { $0 == 1 ? "true" : "false" }
            return (labels, values.map { value in value < 0 ? -1 : used.firstIndex(of: value)! })
        case .numeric(let values):
            let used = Set(values.filter { !$0.isNaN }).sorted()
            let index = Dictionary(uniqueKeysWithValues: used.enumerated().map { ($1, $0) })
            return (used.map(NumberFormatting.shortest), values.map { $0.isNaN ? -1 : index[$0]! })
        case .dateTime:
            throw .unsupportedTarget("a date-time column cannot be a classification target")
        }
    }
}

/// Seeded train/test splits.
public enum Splitting {
    /// Test rows = ceil(testSize × count), as scikit-learn's `train_test_split`.
    static func testCount(_ count: Int, _ testSize: Double) -> Int {
        min(count - 1, max(1, Int((Double(count) * testSize).rounded(.up))))
    }

    public static func shuffled(count: Int, testSize: Double, seed: UInt64) -> (train: [Int], test: [Int]) {
        var generator = SeededGenerator(seed: seed)
        let order = Array(0..<count).shuffled(using: &generator)
        let testRows = testCount(count, testSize)
        return (Array(order[testRows...]).sorted(), Array(order[..<testRows]).sorted())
    }

    /// Each class keeps its share in both parts: floor(share) per class, then the rows left
    /// over go to the classes with the largest remainders.
    public static func stratified(classes: [Int], classCount: Int, testSize: Double, seed: UInt64) -> (train: [Int], test: [Int]) {
        var generator = SeededGenerator(seed: seed)
        var members = Array(repeating: [Int](), count: classCount)
        for (row, label) in classes.enumerated() where label >= 0 { members[label].append(row) }
        let total = members.reduce(0) { $0 + $1.count }
        let wanted = testCount(total, testSize)
        let exact = members.map { Double($0.count) * Double(wanted) / Double(total) }
        var quota = exact.map { Int($0.rounded(.down)) }
        let byRemainder = exact.indices.sorted { (exact[$0] - Double(quota[$0]), $1) > (exact[$1] - Double(quota[$1]), $0) }
        var missing = wanted - quota.reduce(0, +)
        for label in byRemainder where missing > 0 && quota[label] < members[label].count {
            quota[label] += 1
            missing -= 1
        }
        var train: [Int] = []
        var test: [Int] = []
        for label in 0..<classCount {
            let shuffled = members[label].shuffled(using: &generator)
            test += shuffled[..<quota[label]]
            train += shuffled[quota[label]...]
        }
        return (train.sorted(), test.sorted())
    }

    /// Stratified k-fold assignment: fold index per row, classes spread round-robin after a shuffle.
    public static func stratifiedFolds(classes: [Int], classCount: Int, folds: Int, seed: UInt64) -> [Int] {
        var generator = SeededGenerator(seed: seed)
        var assignment = [Int](repeating: 0, count: classes.count)
        var next = 0
        for label in 0..<classCount {
            for row in classes.indices.filter({ classes[$0] == label }).shuffled(using: &generator) {
                assignment[row] = next % folds
                next += 1
            }
        }
        return assignment
    }

    public static func folds(count: Int, folds: Int, seed: UInt64) -> [Int] {
        var generator = SeededGenerator(seed: seed)
        var assignment = [Int](repeating: 0, count: count)
        for (position, row) in Array(0..<count).shuffled(using: &generator).enumerated() { assignment[row] = position % folds }
        return assignment
    }
}
