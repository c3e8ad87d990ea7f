import Foundation

/// How far a served distribution is from the reference, over the same bins. Both take counts,
/// not proportions, so callers pass histograms as they count them; bins pair by position (a
/// bin one side lacks counts as empty), and a side with nothing counted measures 0: no
/// evidence is not drift.
public enum DriftStatistics {
    /// What an empty bin's proportion becomes in the PSI (the customary stand-in): the logarithm
    /// needs it, and it makes a bin that training never filled count heavily once serving does.
    public static let emptyProportion = 0.0001

    /// Population stability index, Σ (cᵢ − rᵢ) · ln(cᵢ / rᵢ) over proportions: 0 for the same
    /// distribution; by the usual rule under 0.1 is stable and over 0.2 a significant shift.
    public static func populationStabilityIndex(reference: [Int], current: [Int]) -> Double {
        let (referenceTotal, currentTotal) = (total(reference), total(current))
        guard referenceTotal > 0, currentTotal > 0 else { return 0 }
        var index = 0.0
        for bin in 0..<max(reference.count, current.count) {
            var r = Double(count(reference, bin)) / referenceTotal
            var c = Double(count(current, bin)) / currentTotal
            if r == 0 { r = emptyProportion }
            if c == 0 { c = emptyProportion }
            index += (c - r) * log(c / r)
        }
        return index
    }

    /// The square root of the Jensen-Shannon divergence with natural logarithms, the usual
    /// definition of the distance: 0 for the same distribution,
    /// at most √ln 2 ≈ 0.833 for distributions with no bin in common. Unlike the PSI it needs no
    /// stand-in for empty bins, which suits categories that one side never saw.
    public static func jensenShannonDistance(reference: [Int], current: [Int]) -> Double {
        let (referenceTotal, currentTotal) = (total(reference), total(current))
        guard referenceTotal > 0, currentTotal > 0 else { return 0 }
        var divergence = 0.0
        for bin in 0..<max(reference.count, current.count) {
            let p = Double(count(reference, bin)) / referenceTotal
            let q = Double(count(current, bin)) / currentTotal
            let m = (p + q) / 2
            if p > 0 { divergence += p * log(p / m) }
            if q > 0 { divergence += q * log(q / m) }
        }
        // Rounding can leave a tiny negative divergence for near-identical distributions.
        return max(0, divergence / 2).squareRoot()
    }

    /// Negative counts (which validated profiles and windows never hold) count as empty.
    private static func count(_ counts: [Int], _ bin: Int) -> Int {
        bin < counts.count ? max(0, counts[bin]) : 0
    }

    /// In Double, so the sum of any counts cannot overflow.
    private static func total(_ counts: [Int]) -> Double {
        counts.reduce(0.0) { $0 + Double(max(0, $1)) }
    }
}
