import Foundation
import Logging
import PostgresNIO

/// The champion in the shared database: pointer and bundle bytes in one row per promotion, so a
/// predict replica needs no shared file system. Publishing notifies `mlopsd_champion` in the same
/// transaction (delivered on commit), and every replica listening swaps at once; the poll of
/// the newest row id remains the fallback when a notification is missed.
public struct PostgresChampionStore: ChampionStore {
    let database: SharedDatabase
    let logger: Logger
    /// Promotions kept, so the previous champions stay inspectable without the table growing
    /// by a bundle per promotion for ever.
    static let kept = 10
    static let channel = "mlopsd_champion"

    public init(database: SharedDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public static let migrations: [SharedDatabase.Migration] = [
        .init(
            "champions-v1",
            [
                """
                CREATE TABLE champions (
                    id BIGSERIAL PRIMARY KEY,
                    pointer JSONB NOT NULL,
                    bundle BYTEA NOT NULL,
                    promoted_at TIMESTAMPTZ NOT NULL
                )
                """
            ])
    ]

    public func publish(_ pointer: ChampionPointer, bundle: Data) async throws {
        let json = String(decoding: try pointer.encoded(), as: UTF8.self)
        try await database.transaction { connection in
            try await connection.query(
                "INSERT INTO champions (pointer, bundle, promoted_at) VALUES (\(json)::jsonb, \(bundle), \(pointer.promotedAt))",
                logger: logger
            )
            try await connection.query(
                "DELETE FROM champions WHERE id NOT IN (SELECT id FROM champions ORDER BY id DESC LIMIT \(Self.kept))", logger: logger
            )
            try await connection.query("SELECT pg_notify(\(Self.channel), '')", logger: logger)
        }
    }

    public func current() async throws -> ChampionPointer? {
        let rows = try await database.client.query("SELECT pointer::text FROM champions ORDER BY id DESC LIMIT 1", logger: logger)
        for try await json in rows.decode(String.self) {
            return try ChampionPointer.decoded(from: Data(json.utf8))
        }
        return nil
    }

    public func load() async throws -> ChampionRecord? {
        let rows = try await database.client.query(
            "SELECT pointer::text, bundle FROM champions ORDER BY id DESC LIMIT 1", logger: logger
        )
        for try await (json, bundle) in rows.decode((String, Data).self) {
            return try .verified(try ChampionPointer.decoded(from: Data(json.utf8)), bundle: bundle)
        }
        return nil
    }

    public func revision() async throws -> String? {
        let rows = try await database.client.query("SELECT max(id) FROM champions", logger: logger)
        for try await id in rows.decode(Int?.self) {
            return id.map(String.init)
        }
        return nil
    }

    /// Holds one pooled connection while listening; when it drops, listens again after a pause
    /// (the poll covers the gap).
    public func watch(_ changed: @escaping @Sendable () async -> Void) async throws {
        while !Task.isCancelled {
            do {
                try await database.client.withConnection { connection in
                    try await connection.listen(on: Self.channel) { notifications in
                        // A change published while the listener was down is caught here.
                        await changed()
                        for try await _ in notifications {
                            await changed()
                        }
                    }
                }
            } catch  where !Task.isCancelled {
                logger.warning("champion notifications interrupted; polling until they resume", metadata: ["error": "\(error)"])
            }
            try await Task.sleep(for: .seconds(1))
        }
    }
}
