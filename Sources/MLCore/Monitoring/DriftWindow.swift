/// What one model was served over a sliding window, binned like its reference profile.
///
/// The window is `generations` generations of `windowSize / generations` records: the
/// current one fills, then it replaces the oldest. It so holds between `generations − 1` and
/// `generations` generations' worth (with one generation, it empties whenever it fills), and
/// forgetting costs one pass over the bins per generation, not a queue of past records.
///
/// Recording is on the predict path, so it allocates nothing: every lookup (categories,
/// numbers spelled as categories, bin offsets) is built here once. The type is a plain value;
/// the caller serialises access (a `Mutex` around it).
public struct DriftWindow: Sendable {
    public let profile: ReferenceProfile
    public let windowSize: Int
    public let generations: Int
    /// Records per generation.
    public let generationSize: Int

    private let featureSlots: [Slot]
    private let predictionSlot: Slot
    /// Counts of the generation filling now, all entries' bins end to end.
    private var current: [Int]
    private var currentRecords = 0
    /// The completed generations kept (a ring, `oldest` first) and their sum.
    private var completed: [[Int]]
    private var completedRecords: [Int]
    private var oldest = 0
    private var completedCount = 0
    private var retained: [Int]
    private var retainedRecords = 0

    /// `windowSize` and `generations` below 1 count as 1.
    public init(profile: ReferenceProfile, windowSize: Int, generations: Int = 4) {
        let windowSize = max(1, windowSize)
        let generations = max(1, generations)
        var slots: [Slot] = []
        var width = 0
        for entry in profile.features {
            let slot = Slot(entry, offset: width)
            width += slot.reference.count
            slots.append(slot)
        }
        let predictionSlot = Slot(profile.prediction, offset: width)
        width += predictionSlot.reference.count
        self.profile = profile
        self.windowSize = windowSize
        self.generations = generations
        generationSize = max(1, windowSize / generations)
        featureSlots = slots
        self.predictionSlot = predictionSlot
        current = [Int](repeating: 0, count: width)
        retained = [Int](repeating: 0, count: width)
        // Separate buffers, so that rotating never copies on write.
        completed = (1..<generations).map { _ in [Int](repeating: 0, count: width) }
        completedRecords = [Int](repeating: 0, count: generations - 1)
    }

    /// Records in the window.
    public var records: Int { retainedRecords + currentRecords }

    /// Counts one served record and its prediction. Fields the profile does not know are
    /// ignored; an absent or null field counts as missing. True when the record completed a
    /// generation and the oldest was dropped: the moment to refresh gauges from `report`.
    @discardableResult
    public mutating func record(_ record: [String: RawValue], prediction: Prediction) -> Bool {
        for slot in featureSlots {
            current[slot.offset + slot.bin(record[slot.name])] += 1
        }
        current[predictionSlot.offset + predictionSlot.bin(prediction)] += 1
        currentRecords += 1
        guard currentRecords >= generationSize else { return false }
        rotate()
        return true
    }

    /// Drift of each feature and of the prediction over the window. A value counts as drift
    /// only once the window holds `minimumRecords`: a few records always look unlike the
    /// reference.
    public func report(psiThreshold: Double, jensenShannonThreshold: Double, minimumRecords: Int) -> DriftReport {
        let records = self.records
        func measure(_ slot: Slot) -> DriftMeasure {
            let counts = (0..<slot.reference.count).map { retained[slot.offset + $0] + current[slot.offset + $0] }
            let statistic: DriftStatistic
            let value: Double
            let threshold: Double
            switch slot.kind {
            case .numeric:
                statistic = .psi
                value = DriftStatistics.populationStabilityIndex(reference: slot.reference, current: counts)
                threshold = psiThreshold
            case .categorical:
                statistic = .jensenShannon
                value = DriftStatistics.jensenShannonDistance(reference: slot.reference, current: counts)
                threshold = jensenShannonThreshold
            }
            return DriftMeasure(
                name: slot.name, kind: slot.kind, statistic: statistic, value: value, threshold: threshold,
                drifted: records >= minimumRecords && value > threshold)
        }
        return DriftReport(records: records, features: featureSlots.map { measure($0) }, prediction: measure(predictionSlot))
    }

    /// Files the current generation in place of the oldest kept one.
    private mutating func rotate() {
        let capacity = completed.count
        if capacity > 0 {
            let slot: Int
            if completedCount == capacity {
                slot = oldest
                oldest = (oldest + 1) % capacity
                for bin in retained.indices { retained[bin] -= completed[slot][bin] }
                retainedRecords -= completedRecords[slot]
            } else {
                slot = (oldest + completedCount) % capacity
                completedCount += 1
            }
            for bin in current.indices {
                completed[slot][bin] = current[bin]
                retained[bin] += current[bin]
            }
            completedRecords[slot] = currentRecords
            retainedRecords += currentRecords
        }
        for bin in current.indices { current[bin] = 0 }
        currentRecords = 0
    }
}

extension DriftWindow {
    /// One entry's bins within the window's counts, and how a served value finds its bin. The
    /// layout follows the edges and categories alone, so even a profile that was never
    /// validated cannot send a count outside its entry.
    struct Slot: Sendable {
        let name: String
        let kind: ReferenceProfile.Kind
        let offset: Int
        let edges: [Double]
        /// Category → bin, and the same for categories that a number spells (`3` for "3"), as
        /// the pipeline turns numbers into category labels.
        let categoryBins: [String: Int]
        let numberBins: [Double: Int]
        let falseBin: Int
        let trueBin: Int
        /// Categories of a boolean column, whose records may spell them in any case.
        let booleans: Bool
        let otherBin: Int
        let missingBin: Int
        /// The reference counts in this slot's bin order.
        let reference: [Int]

        init(_ entry: ReferenceProfile.Entry, offset: Int) {
            name = entry.name
            kind = entry.kind
            self.offset = offset
            let counts = entry.counts
            func count(_ bin: Int) -> Int { bin < counts.count ? counts[bin] : 0 }
            var categoryBins: [String: Int] = [:]
            var numberBins: [Double: Int] = [:]
            var booleans = false
            let otherBin: Int
            switch entry.kind {
            case .numeric:
                edges = entry.edges
                // No other bin: a number always falls in some bin.
                otherBin = entry.edges.count + 1
                missingBin = entry.edges.count + 1
                reference = (0...entry.edges.count).map(count) + [entry.missing]
            case .categorical:
                edges = []
                let categories = entry.categories
                categoryBins = Dictionary(zip(categories, categories.indices), uniquingKeysWith: { first, _ in first })
                for (bin, category) in categories.enumerated() {
                    if let number = Double(category), number.isFinite, NumberFormatting.shortest(number) == category, numberBins[number] == nil {
                        numberBins[number] = bin
                    }
                }
                booleans = !categories.isEmpty && categories.allSatisfy { $0 == "true" || $0 == "false" }
                otherBin = categories.count
                missingBin = categories.count + 1
                reference = categories.indices.map(count) + [entry.other, entry.missing]
            }
            self.categoryBins = categoryBins
            self.numberBins = numberBins
            self.booleans = booleans
            self.otherBin = otherBin
            falseBin = categoryBins["false"] ?? otherBin
            trueBin = categoryBins["true"] ?? otherBin
        }

        /// The bin of one record field, read as `RecordValue.parse` reads it for the column.
        @inline(__always)
        func bin(_ value: RawValue?) -> Int {
            switch (kind, value ?? RawValue.null) {
            case (_, .null): missingBin
            case (.numeric, .number(let number)): bin(number: number)
            case (.numeric, .bool(let flag)): bin(number: flag ? 1 : 0)
            case (.numeric, .string(let text)): bin(number: Self.number(in: text))
            case (.categorical, .string(let text)): bin(category: text)
            case (.categorical, .number(let number)): numberBins[number] ?? otherBin
            case (.categorical, .bool(let flag)): flag ? trueBin : falseBin
            }
        }

        /// The bin of a prediction: its label for a classifier, its value for a regressor.
        @inline(__always)
        func bin(_ prediction: Prediction) -> Int {
            switch kind {
            case .numeric: bin(number: prediction.value)
            case .categorical: prediction.label.map { categoryBins[$0] ?? otherBin } ?? missingBin
            }
        }

        @inline(__always)
        private func bin(category: String) -> Int {
            if let bin = categoryBins[category] { return bin }
            if booleans, let flag = Self.boolean(category) { return flag ? trueBin : falseBin }
            return otherBin
        }

        @inline(__always)
        private func bin(number: Double) -> Int {
            number.isNaN ? missingBin : ReferenceProfile.Entry.bin(of: number, edges: edges)
        }

        /// A number spelled as text (padded or not), or a date-time as seconds since 1970, which
        /// is how numeric and date-time fields arrive as strings; NaN (missing) otherwise.
        private static func number(in text: String) -> Double {
            if let number = Double(text) { return number }
            var trimmed = Substring(text)
            while let first = trimmed.first, first == " " || first == "\t" { trimmed.removeFirst() }
            while let last = trimmed.last, last == " " || last == "\t" { trimmed.removeLast() }
            if trimmed.count != text.count, let number = Double(trimmed) { return number }
            let seconds = text.utf8.withContiguousStorageIfAvailable { DateTimeParsing.parse($0, 0, $0.count) }
            return (seconds ?? nil) ?? .nan
        }

        /// "true" or "false" in any case, compared byte by byte rather than by lowercasing a copy.
        private static func boolean(_ text: String) -> Bool? {
            func matches(_ word: StaticString) -> Bool {
                let utf8 = text.utf8
                guard utf8.count == word.utf8CodeUnitCount else { return false }
                return word.withUTF8Buffer { word in zip(utf8, word).allSatisfy { $0 | 0x20 == $1 } }
            }
            if matches("true") { return true }
            if matches("false") { return false }
            return nil
        }
    }
}
