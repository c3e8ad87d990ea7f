import Foundation
import Kernel
import MLOpsTesting
import Testing

/// The behaviour every `FeedbackStore` owes the predict role, on SQLite and (when configured)
/// PostgreSQL.
extension StoreBackend {
    /// A fresh, empty feedback store for one test, handed to `body` while its database runs.
    func withFeedbackStore(_ body: (any FeedbackStore) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            try await Self.withSQLite(migrations: SQLiteFeedbackStore.registerMigrations) { database in
                try await body(SQLiteFeedbackStore(database: database))
            }
        case .postgres:
            try await Self.withPostgres(migrations: PostgresFeedbackStore.migrations) { database, logger in
                try await body(PostgresFeedbackStore(database: database, logger: logger))
            }
        }
    }
}

@Suite struct FeedbackStoreContractTests {
    /// With a millisecond part, so a store that dropped it would show.
    let now = Date(timeIntervalSince1970: 1_800_000_000.123)
    let forest = "a1b2c3d4e5f60718"
    let boosted = "0f1e2d3c4b5a6978"

    func feedback(
        _ id: String, model: String? = nil, arm: String = "champion", predicted: Double = 1, actual: Double = 1,
        received offset: TimeInterval = 0
    ) -> PredictionFeedback {
        PredictionFeedback(
            predictionID: id, modelKey: model ?? forest, arm: arm, predicted: predicted, actual: actual,
            predictedAt: now.addingTimeInterval(offset - 90.5), receivedAt: now.addingTimeInterval(offset)
        )
    }

    /// PostgreSQL keeps microseconds, so a date can come back a fraction of a microsecond off:
    /// the stores promise the millisecond.
    func toTheMillisecond(_ rows: [PredictionFeedback]) -> [PredictionFeedback] {
        func rounded(_ date: Date) -> Date { Date(timeIntervalSince1970: (date.timeIntervalSince1970 * 1000).rounded() / 1000) }
        return rows.map { row in
            var row = row
            row.predictedAt = rounded(row.predictedAt)
            row.receivedAt = rounded(row.receivedAt)
            return row
        }
    }

    @Test(arguments: StoreBackend.available)
    func storesAndReadsBackEveryField(_ backend: StoreBackend) async throws {
        try await backend.withFeedbackStore { store in
            let sent = [
                feedback("pred-classifier", arm: "challenger", predicted: 2, actual: 0, received: 0.001),
                feedback("pred-regressor", arm: "pinned", predicted: -12.375, actual: 1e-9, received: 0),
            ]
            try await store.record(sent)
            let stored = try await store.recent(modelKey: forest, limit: 10)
            #expect(toTheMillisecond(stored) == toTheMillisecond(sent))
        }
    }

    @Test(arguments: StoreBackend.available)
    func feedbackSentAgainReplacesTheEarlierTruth(_ backend: StoreBackend) async throws {
        try await backend.withFeedbackStore { store in
            try await store.record([feedback("p1", actual: 1), feedback("p2", actual: 0, received: 1)])
            // The id fixes the model and the prediction; only the truth changes, and the row
            // keeps its place: sending it again cannot move it to the front of the window.
            try await store.record([feedback("p1", model: boosted, actual: 2, received: 5)])
            let rows = try await store.recent(modelKey: forest, limit: 10)
            #expect(rows.map(\.predictionID) == ["p2", "p1"], "replaced, not added")
            #expect(toTheMillisecond(Array(rows.suffix(1))) == toTheMillisecond([feedback("p1", actual: 2)]))
            #expect(try await store.recent(modelKey: boosted, limit: 10).isEmpty)

            // Within one call the last row for an id wins.
            try await store.record([feedback("p3", actual: 1, received: 6), feedback("p3", actual: 3, received: 7)])
            let p3 = try await store.recent(modelKey: forest, limit: 10).filter { $0.predictionID == "p3" }
            #expect(p3.map(\.actual) == [3])
        }
    }

    @Test(arguments: StoreBackend.available)
    func recentIsNewestFirstForOneModelWithinTheLimit(_ backend: StoreBackend) async throws {
        try await backend.withFeedbackStore { store in
            // A millisecond apart: both stores order by the millisecond.
            let forestRows = (0..<5).map { feedback("f\($0)", received: TimeInterval($0) / 1000) }
            let boostedRows = (0..<2).map { feedback("b\($0)", model: boosted, received: TimeInterval($0) + 10) }
            try await store.record(boostedRows + forestRows.shuffled())

            #expect(try await store.recent(modelKey: forest, limit: 3).map(\.predictionID) == ["f4", "f3", "f2"])
            #expect(try await store.recent(modelKey: forest, limit: 100).count == 5)
            #expect(try await store.recent(modelKey: boosted, limit: 100).map(\.predictionID) == ["b1", "b0"])
            #expect(try await store.recent(modelKey: "ffffffffffffffff", limit: 10).isEmpty)
            #expect(try await store.recent(modelKey: forest, limit: 0).isEmpty)

            // Received at the same instant: byte order of the id, whatever the database's collation.
            let tied = ["t-b", "T-c", "t-a"].map { feedback($0, model: "tied", received: 20) }
            try await store.record(tied)
            #expect(try await store.recent(modelKey: "tied", limit: 10).map(\.predictionID) == ["T-c", "t-a", "t-b"])
        }
    }

    @Test(arguments: StoreBackend.available)
    func pruneRemovesOnlyRowsReceivedBeforeTheCutoff(_ backend: StoreBackend) async throws {
        try await backend.withFeedbackStore { store in
            try await store.record([
                feedback("old", received: -3_600), feedback("older", model: boosted, received: -7_200),
                feedback("edge", received: 0), feedback("new", received: 60),
            ])
            #expect(try await store.prune(receivedBefore: now) == 2)
            #expect(try await store.recent(modelKey: forest, limit: 10).map(\.predictionID) == ["new", "edge"], "the cutoff itself is kept")
            #expect(try await store.recent(modelKey: boosted, limit: 10).isEmpty)
            #expect(try await store.prune(receivedBefore: now) == 0)
        }
    }

    @Test(arguments: StoreBackend.available)
    func oversizedInputIsRefusedWholeAndAFullBatchIsTaken(_ backend: StoreBackend) async throws {
        try await backend.withFeedbackStore { store in
            let limit = PredictionFeedback.maximumBatch
            let tooMany = (0...limit).map { feedback("over-\($0)") }
            await #expect(throws: FeedbackStoreError.self) { try await store.record(tooMany) }
            let longID = String(repeating: "x", count: PredictionFeedback.maximumPredictionIDLength + 1)
            await #expect(throws: FeedbackStoreError.self) { try await store.record([feedback("fine"), feedback(longID)]) }
            #expect(try await store.recent(modelKey: forest, limit: 10).isEmpty, "nothing of a refused call is written")

            try await store.record([])
            let full = (0..<limit).map { feedback("bulk-\($0)", model: boosted, received: TimeInterval($0) / 1000) }
            try await store.record(full)
            let stored = try await store.recent(modelKey: boosted, limit: limit)
            #expect(stored.count == limit)
            #expect(stored.first?.predictionID == "bulk-\(limit - 1)")
        }
    }
}
