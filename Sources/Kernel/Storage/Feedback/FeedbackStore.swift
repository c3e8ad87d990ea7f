import Foundation

/// Where the predict role keeps the ground truth clients send for earlier predictions: its own
/// SQLite file, or the database its replicas share, so feedback sent to any replica counts.
public protocol FeedbackStore: Sendable {
    /// Upserts by `predictionID`: feedback sent again for the same prediction replaces the earlier
    /// truth and nothing else (the id fixes the model and the prediction), so a client retrying a
    /// request never counts twice and a row keeps its place in the window. Within one call the
    /// last row for an id wins. Refuses more than `PredictionFeedback.maximumBatch` rows and ids longer than
    /// `PredictionFeedback.maximumPredictionIDLength` bytes, writing nothing; the caller checks
    /// that values are finite.
    func record(_ feedback: [PredictionFeedback]) async throws
    /// The most recent `limit` rows of one model, newest first (by `receivedAt`, then by
    /// `predictionID` in byte order, so ties come back the same way from either store).
    func recent(modelKey: String, limit: Int) async throws -> [PredictionFeedback]
    /// Deletes rows received before `cutoff`; returns how many. Keeps the table to the window
    /// the metrics look at.
    @discardableResult func prune(receivedBefore cutoff: Date) async throws -> Int
}

public struct FeedbackStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

extension PredictionFeedback {
    /// The rows a store writes for one `record` call, after the checks both stores owe it. Later
    /// duplicates win and earlier ones are dropped: PostgreSQL refuses to upsert one key twice in
    /// a statement, and SQLite would keep the last anyway. Ids are compared byte for byte, as the
    /// databases compare them (Swift's `==` would merge canonically equivalent ids).
    static func batch(_ feedback: [PredictionFeedback]) throws -> [PredictionFeedback] {
        guard feedback.count <= maximumBatch else {
            throw FeedbackStoreError("\(feedback.count) feedback rows in one call; at most \(maximumBatch) are accepted")
        }
        if let long = feedback.first(where: { $0.predictionID.utf8.count > maximumPredictionIDLength }) {
            let start = long.predictionID.prefix(32)
            throw FeedbackStoreError(
                "prediction id '\(start)…' is \(long.predictionID.utf8.count) bytes long; at most \(maximumPredictionIDLength) are accepted"
            )
        }
        var seen: Set<[UInt8]> = []
        var kept: [PredictionFeedback] = []
        kept.reserveCapacity(feedback.count)
        for row in feedback.reversed() where seen.insert(Array(row.predictionID.utf8)).inserted {
            kept.append(row)
        }
        kept.reverse()
        return kept
    }
}
