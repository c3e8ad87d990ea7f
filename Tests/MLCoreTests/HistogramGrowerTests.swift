import Foundation
import Synchronization
import Testing

@testable import MLCore

@Suite struct HistogramGrowerTests {
    /// Row-wise histograms (narrow data, in chunks over three threads) and column-wise ones (wide
    /// data) are two ways to one sum: the same tree grows from either.
    @Test func rowWiseAndColumnWiseHistogramsGrowTheSameTree() {
        var generator = SeededGenerator(seed: 3)
        // Enough rows that the root's partition is cut into pieces too.
        let rows = 70_000
        let columns = 6
        let values = (0..<(rows * columns)).map { _ in Double.random(in: 0..<1, using: &generator).rounded(toPlaces: 2) }
        let features = FeatureMatrix(rows: rows, columns: columns, values: values, names: (0..<columns).map { "x\($0)" })
        let gradients = (0..<rows).map { row in values[row * columns] - values[row * columns + 3] + Double.random(in: -0.1..<0.1, using: &generator) }
        let hessians = [Double](repeating: 1, count: rows)
        let data = BinnedMatrix(features)
        let workers = FitWorkers(parts: 3)
        defer { workers.finish() }
        let everyRow = (0..<rows).map { Int32($0) }
        let mask = [Bool](repeating: true, count: columns)
        let (rowTree, rowLeaves, rowGains) = LeafWiseGrower(data: data, parameters: .init(), workers: workers, rowWise: true)
            .grow(rows: everyRow, gradients: gradients, hessians: hessians, features: mask)
        let (columnTree, columnLeaves, columnGains) = LeafWiseGrower(data: data, parameters: .init(), workers: workers, rowWise: false)
            .grow(rows: everyRow, gradients: gradients, hessians: hessians, features: mask)
        #expect(rowTree.feature == columnTree.feature)
        #expect(rowTree.threshold == columnTree.threshold)
        #expect(rowLeaves == columnLeaves)
        #expect(rowTree.leafValues.count == 31)
        #expect(zip(rowTree.leafValues, columnTree.leafValues).allSatisfy { abs($0 - $1) < 1e-9 })
        #expect(zip(rowGains, columnGains).allSatisfy { abs($0 - $1) < 1e-6 })
    }

    @Test func workersRunEveryPartOnceAtEachCall() {
        let workers = FitWorkers(parts: 3)
        let counts = Mutex([Int](repeating: 0, count: 3))
        for _ in 0..<2000 {
            workers.run { part in counts.withLock { $0[part] += 1 } }
        }
        #expect(counts.withLock { $0 } == [2000, 2000, 2000])
        workers.finish()
        // One part: the caller's thread alone, and no helper is ever started.
        let alone = FitWorkers(parts: 1)
        let ran = Mutex(0)
        alone.run { _ in ran.withLock { $0 += 1 } }
        #expect(ran.withLock { $0 } == 1)
    }

    /// Helpers that went to sleep between parts are woken for the next ones, and stopped while asleep.
    @Test func sleepingWorkersWakeForWorkAndStop() async throws {
        let workers = FitWorkers(parts: 2)
        let counts = Mutex([0, 0])
        for _ in 0..<3 {
            workers.run { part in counts.withLock { $0[part] += 1 } }
            // Longer than a helper spins before it sleeps.
            try await Task.sleep(for: .milliseconds(200))
        }
        #expect(counts.withLock { $0 } == [3, 3])
        workers.finish()
    }
}

extension Double {
    fileprivate func rounded(toPlaces places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}
