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
            ]),
        .init(
            "serving-plans-v1",
            [
                """
                CREATE TABLE serving_plans (
                    id BIGSERIAL PRIMARY KEY,
                    plan JSONB NOT NULL,
                    changed_at TIMESTAMPTZ NOT NULL
                )
                """,
                """
                CREATE TABLE serving_bundles (
                    bundle_path TEXT PRIMARY KEY,
                    bundle BYTEA NOT NULL
                )
                """,
            ]),
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
        let rows = try await database.client.query(
            "SELECT (SELECT max(id) FROM champions), (SELECT max(id) FROM serving_plans)", logger: logger
        )
        for try await (champion, plan) in rows.decode((Int?, Int?).self) {
            guard champion != nil || plan != nil else { return nil }
            return "\(champion.map(String.init) ?? "-")/\(plan.map(String.init) ?? "-")"
        }
        return nil
    }

    /// The plan and the bundles it names change in one transaction; bundles no plan names any
    /// more are deleted with it.
    public func publishPlan(_ plan: ServingPlan, bundles: [String: Data]) async throws {
        let json = String(decoding: try plan.encoded(), as: UTF8.self)
        let named = plan.models.map(\.bundlePath)
        try await database.transaction { connection in
            for path in named {
                guard let bundle = bundles[path] else { continue }
                try await connection.query(
                    """
                    INSERT INTO serving_bundles (bundle_path, bundle) VALUES (\(path), \(bundle))
                    ON CONFLICT (bundle_path) DO UPDATE SET bundle = excluded.bundle
                    """,
                    logger: logger
                )
            }
            try await connection.query("DELETE FROM serving_bundles WHERE NOT (bundle_path = ANY(\(named)))", logger: logger)
            try await connection.query(
                "INSERT INTO serving_plans (plan, changed_at) VALUES (\(json)::jsonb, \(plan.changedAt))", logger: logger
            )
            try await connection.query(
                "DELETE FROM serving_plans WHERE id NOT IN (SELECT id FROM serving_plans ORDER BY id DESC LIMIT \(Self.kept))", logger: logger
            )
            try await connection.query("SELECT pg_notify(\(Self.channel), '')", logger: logger)
        }
    }

    public func plan() async throws -> ServingPlan? {
        let rows = try await database.client.query("SELECT plan::text FROM serving_plans ORDER BY id DESC LIMIT 1", logger: logger)
        for try await json in rows.decode(String.self) {
            do {
                return try ServingPlan.decoded(from: Data(json.utf8))
            } catch {
                throw ChampionStoreError("the serving plan does not read: \(error)")
            }
        }
        return nil
    }

    /// A plan's bundle, or a champion's (a pinned version may be the champion's own).
    public func bundle(for pointer: ChampionPointer) async throws -> Data {
        let rows = try await database.client.query(
            """
            SELECT bundle FROM serving_bundles WHERE bundle_path = \(pointer.bundlePath)
            UNION ALL
            (SELECT bundle FROM champions WHERE pointer->>'bundle_path' = \(pointer.bundlePath) ORDER BY id DESC LIMIT 1)
            """,
            logger: logger
        )
        for try await bundle in rows.decode(Data.self) {
            return try ChampionRecord.verified(pointer, bundle: bundle).bundle
        }
        throw ChampionStoreError("bundle \(pointer.bundlePath) is missing")
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
