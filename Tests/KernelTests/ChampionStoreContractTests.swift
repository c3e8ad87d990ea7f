import Foundation
import Kernel
import Logging
import MLOpsTesting
import PostgresNIO
import Synchronization
import Testing

/// The champion on the models volume (one machine) and in the shared database (replicas without
/// a shared file system) behaves the same to the train role that publishes it and the predict
/// replicas that load it.
extension StoreBackend {
    func withChampionStore(_ body: (any ChampionStore, _ tamper: @Sendable () async throws -> Void) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("champion-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let store = FileChampionStore(modelsDirectory: directory)
            try await body(store) {
                guard let pointer = try await store.current() else { return }
                try Data("{}".utf8).write(to: directory.appendingPathComponent(pointer.bundlePath))
            }
        case .postgres:
            try await Self.withPostgres(migrations: PostgresChampionStore.migrations) { database, logger in
                try await body(PostgresChampionStore(database: database, logger: logger)) {
                    try await database.client.query(
                        "UPDATE champions SET bundle = '\\x7b7d'::bytea WHERE id = (SELECT max(id) FROM champions)", logger: logger
                    )
                }
            }
        }
    }
}

@Suite struct ChampionStoreContractTests {
    func pointer(version: String, bundle: Data) -> ChampionPointer {
        ChampionPointer(
            modelName: "penguins-forest", version: version, modelType: "random_forest", runID: "run-\(version)", metric: "f1",
            metrics: ["f1": 0.97], bundlePath: "champion/penguins-forest-v\(version).mlbundle",
            bundleMD5: DataVersion.digest(of: bundle).md5, tracker: "embedded",
            promotedAt: Date(timeIntervalSince1970: 1_800_000_000), promotedBy: "admin"
        )
    }

    @Test(arguments: StoreBackend.available)
    func publishedChampionLoadsWithItsBundleAndMovesTheRevision(_ backend: StoreBackend) async throws {
        try await backend.withChampionStore { store, _ in
            #expect(try await store.current() == nil)
            #expect(try await store.load() == nil)
            #expect(try await store.revision() == nil)

            let first = Data(#"{"bundle":1}"#.utf8)
            try await store.publish(pointer(version: "1", bundle: first), bundle: first)
            let revision = try #require(try await store.revision())
            #expect(try await store.current() == pointer(version: "1", bundle: first))
            #expect(try await store.revision() == revision, "unchanged without a promotion")

            let second = Data(#"{"bundle":2}"#.utf8)
            try await store.publish(pointer(version: "2", bundle: second), bundle: second)
            #expect(try await store.revision() != revision)
            let loaded = try #require(try await store.load())
            #expect(loaded.pointer == pointer(version: "2", bundle: second))
            #expect(loaded.bundle == second)
        }
    }

    @Test(arguments: StoreBackend.available)
    func aBundleThatIsNotTheOneThePointerNamesIsRefused(_ backend: StoreBackend) async throws {
        try await backend.withChampionStore { store, tamper in
            let bundle = Data(#"{"bundle":1}"#.utf8)
            try await store.publish(pointer(version: "1", bundle: bundle), bundle: bundle)
            try await tamper()
            await #expect(throws: ChampionStoreError.self) { try await store.load() }
        }
    }

    @Test(arguments: StoreBackend.available)
    func aServingPlanMovesTheRevisionAndServesItsBundles(_ backend: StoreBackend) async throws {
        try await backend.withChampionStore { store, _ in
            #expect(try await store.plan() == nil)
            let championBundle = Data(#"{"bundle":1}"#.utf8)
            let champion = pointer(version: "1", bundle: championBundle)
            try await store.publish(champion, bundle: championBundle)
            let before = try #require(try await store.revision())

            let pinnedBundle = Data(#"{"bundle":"pinned"}"#.utf8)
            let challengerBundle = Data(#"{"bundle":"challenger"}"#.utf8)
            let plan = ServingPlan(
                pinned: [pointer(version: "7", bundle: pinnedBundle), champion],
                challenger: Challenger(model: pointer(version: "8", bundle: challengerBundle), share: 0.25, mode: .canary),
                changedAt: Date(timeIntervalSince1970: 1_800_000_100), changedBy: "admin"
            )
            try await store.publishPlan(
                plan,
                bundles: [plan.pinned[0].bundlePath: pinnedBundle, plan.challenger?.model.bundlePath ?? "": challengerBundle]
            )
            let after = try #require(try await store.revision())
            #expect(after != before)
            #expect(try await store.plan() == plan)
            #expect(try await store.bundle(for: plan.pinned[0]) == pinnedBundle)
            #expect(try await store.bundle(for: champion) == championBundle, "a pinned champion is served from the champion's bundle")
            #expect(try await store.bundle(for: try #require(plan.challenger).model) == challengerBundle)
            #expect(try await store.load()?.pointer == champion, "the plan leaves the champion alone")

            // Dropping the challenger keeps the pinned bundles; a pointer whose MD5 does not
            // match its bytes is refused.
            var next = plan
            next.challenger = nil
            try await store.publishPlan(next, bundles: [:])
            #expect(try await store.plan() == next)
            #expect(try await store.revision() != after)
            #expect(try await store.bundle(for: plan.pinned[0]) == pinnedBundle)
            var forged = plan.pinned[0]
            forged.bundleMD5 = DataVersion.digest(of: challengerBundle).md5
            await #expect(throws: ChampionStoreError.self) { try await store.bundle(for: forged) }
        }
    }

    /// A replica listening hears of a promotion made through another connection at once, not at
    /// its next poll.
    @Test(.enabled(if: StoreBackend.databaseURL != nil, "needs MLOPSD_TEST_DATABASE_URL"))
    func promotionsArePushedToListeners() async throws {
        try await StoreBackend.postgres.withChampionStore { store, _ in
            let heard = Counter()
            let bundle = Data(#"{"bundle":1}"#.utf8)
            let champion = pointer(version: "1", bundle: bundle)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await store.watch { heard.increment() } }
                defer { group.cancelAll() }
                // The first call comes once the listener is in place.
                try await Self.poll { heard.value >= 1 }
                try await store.publish(champion, bundle: bundle)
                try await Self.poll { heard.value >= 2 }
            }
        }
    }

    final class Counter: Sendable {
        private let count = Mutex(0)
        var value: Int { count.withLock { $0 } }
        func increment() { count.withLock { $0 += 1 } }
    }

    static func poll(within limit: Duration = .seconds(5), until done: () -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while !done() {
            guard ContinuousClock.now < deadline else {
                Issue.record("not reached within \(limit)")
                return
            }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
