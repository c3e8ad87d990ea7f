import Foundation
import GRDB

/// `FeedbackStore` in the predict role's SQLite file.
///
/// Dates are stored as seconds since 1970 (REAL), not GRDB's text form: feedback is the busiest
/// write the server has, and a number needs no formatting per row, keeps the full precision of
/// the `Date`, and compares as a number in `ORDER BY` and in pruning.
public struct SQLiteFeedbackStore: FeedbackStore {
    let database: AppDatabase

    public init(database: AppDatabase) {
        self.database = database
    }

    /// The feedback table; the predict role's database registers it.
    public static func registerMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("prediction-feedback-v1") { db in
            try db.create(table: "prediction_feedback") { table in
                table.primaryKey("prediction_id", .text)
                table.column("model_key", .text).notNull()
                table.column("arm", .text).notNull()
                table.column("predicted", .double).notNull()
                table.column("actual", .double).notNull()
                table.column("predicted_at", .double).notNull()
                table.column("received_at", .double).notNull()
            }
            try db.create(index: "prediction_feedback_model_time", on: "prediction_feedback", columns: ["model_key", "received_at"])
        }
    }

    public func record(_ feedback: [PredictionFeedback]) async throws {
        let batch = try PredictionFeedback.batch(feedback)
        guard !batch.isEmpty else { return }
        try await database.pool.write { db in
            let upsert = try db.cachedStatement(
                sql: """
                    INSERT INTO prediction_feedback (prediction_id, model_key, arm, predicted, actual, predicted_at, received_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT(prediction_id) DO UPDATE SET actual = excluded.actual
                    """
            )
            for row in batch {
                try upsert.execute(arguments: [
                    row.predictionID, row.modelKey, row.arm, row.predicted, row.actual,
                    row.predictedAt.timeIntervalSince1970, row.receivedAt.timeIntervalSince1970,
                ])
            }
        }
    }

    public func recent(modelKey: String, limit: Int) async throws -> [PredictionFeedback] {
        // SQLite reads a negative LIMIT as none at all.
        guard limit > 0 else { return [] }
        return try await database.pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT prediction_id, model_key, arm, predicted, actual, predicted_at, received_at FROM prediction_feedback
                    WHERE model_key = ? ORDER BY received_at DESC, prediction_id LIMIT ?
                    """,
                arguments: [modelKey, limit]
            ).map(Self.feedback(from:))
        }
    }

    @discardableResult
    public func prune(receivedBefore cutoff: Date) async throws -> Int {
        try await database.pool.write { db in
            try db.execute(sql: "DELETE FROM prediction_feedback WHERE received_at < ?", arguments: [cutoff.timeIntervalSince1970])
            return db.changesCount
        }
    }

    static func feedback(from row: Row) throws -> PredictionFeedback {
        try PredictionFeedback(
            predictionID: row.decode(forColumn: "prediction_id"),
            modelKey: row.decode(forColumn: "model_key"),
            arm: row.decode(forColumn: "arm"),
            predicted: row.decode(forColumn: "predicted"),
            actual: row.decode(forColumn: "actual"),
            predictedAt: Date(timeIntervalSince1970: row.decode(forColumn: "predicted_at")),
            receivedAt: Date(timeIntervalSince1970: row.decode(forColumn: "received_at"))
        )
    }
}
