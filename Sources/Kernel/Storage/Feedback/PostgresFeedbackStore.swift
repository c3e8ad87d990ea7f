import Foundation
import Logging
import PostgresNIO

/// `FeedbackStore` in the shared database: feedback sent to any predict replica counts for all.
public struct PostgresFeedbackStore: FeedbackStore {
    let database: SharedDatabase
    let logger: Logger
    /// Rows per INSERT: each statement binds one array per column, so a full batch is a handful
    /// of round trips instead of one per row, with no single message growing past a few hundred KB.
    static let rowsPerStatement = 1_000

    public init(database: SharedDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public static let migrations: [SharedDatabase.Migration] = [
        .init(
            "prediction-feedback-v1",
            [
                """
                CREATE TABLE prediction_feedback (
                    prediction_id TEXT PRIMARY KEY,
                    model_key TEXT NOT NULL,
                    arm TEXT NOT NULL,
                    predicted DOUBLE PRECISION NOT NULL,
                    actual DOUBLE PRECISION NOT NULL,
                    predicted_at TIMESTAMPTZ NOT NULL,
                    received_at TIMESTAMPTZ NOT NULL
                )
                """,
                "CREATE INDEX prediction_feedback_model_time ON prediction_feedback (model_key, received_at)",
            ])
    ]

    /// One transaction: a call is recorded whole or not at all, as on SQLite.
    public func record(_ feedback: [PredictionFeedback]) async throws {
        let batch = try PredictionFeedback.batch(feedback)
        guard !batch.isEmpty else { return }
        try await database.transaction { connection in
            for start in stride(from: 0, to: batch.count, by: Self.rowsPerStatement) {
                let rows = batch[start..<min(start + Self.rowsPerStatement, batch.count)]
                let ids = rows.map(\.predictionID)
                let modelKeys = rows.map(\.modelKey)
                let arms = rows.map(\.arm)
                let predicted = rows.map(\.predicted)
                let actual = rows.map(\.actual)
                let predictedAt = rows.map(\.predictedAt)
                let receivedAt = rows.map(\.receivedAt)
                try await connection.query(
                    """
                    INSERT INTO prediction_feedback (prediction_id, model_key, arm, predicted, actual, predicted_at, received_at)
                    SELECT * FROM UNNEST(\(ids)::TEXT[], \(modelKeys)::TEXT[], \(arms)::TEXT[], \(predicted)::DOUBLE PRECISION[],
                        \(actual)::DOUBLE PRECISION[], \(predictedAt)::TIMESTAMPTZ[], \(receivedAt)::TIMESTAMPTZ[])
                    ON CONFLICT (prediction_id) DO UPDATE SET actual = excluded.actual
                    """,
                    logger: logger
                )
            }
        }
    }

    /// Ties on `received_at` are broken in byte order (`COLLATE "C"`), as SQLite breaks them,
    /// whatever collation the database was created with.
    public func recent(modelKey: String, limit: Int) async throws -> [PredictionFeedback] {
        guard limit > 0 else { return [] }
        var found: [PredictionFeedback] = []
        let rows = try await database.client.query(
            """
            SELECT prediction_id, model_key, arm, predicted, actual, predicted_at, received_at FROM prediction_feedback
            WHERE model_key = \(modelKey) ORDER BY received_at DESC, prediction_id COLLATE "C" LIMIT \(limit)
            """,
            logger: logger
        )
        for try await (id, model, arm, predicted, actual, predictedAt, receivedAt) in rows.decode(
            (String, String, String, Double, Double, Date, Date).self)
        {
            found.append(
                PredictionFeedback(
                    predictionID: id, modelKey: model, arm: arm, predicted: predicted, actual: actual, predictedAt: predictedAt,
                    receivedAt: receivedAt
                ))
        }
        return found
    }

    /// Counted in the database: a prune after a long pause may remove many rows, which
    /// `RETURNING 1` would stream back one by one.
    @discardableResult
    public func prune(receivedBefore cutoff: Date) async throws -> Int {
        try await database.integer(
            """
            WITH pruned AS (DELETE FROM prediction_feedback WHERE received_at < \(cutoff) RETURNING 1)
            SELECT COUNT(*) FROM pruned
            """
        )
    }
}
