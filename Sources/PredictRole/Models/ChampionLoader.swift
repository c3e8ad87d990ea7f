import Foundation
import Kernel
import Logging
import MLCore
import Prometheus
import ServiceLifecycle

/// Loads the champion from its store and keeps following it: changes are pushed where the store
/// can (PostgreSQL notifications), a promotion in the same process calls `reloadIfChanged()` at
/// once, and a poll of the store's revision catches anything else. A change loads the new bundle
/// off the event loop (the store checks its MD5) and swaps it in. A bundle that does not load is
/// logged and the old model keeps serving.
actor ChampionLoader: Service {
    let slot: ModelSlot
    let store: any ChampionStore
    let interval: Duration
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    private var lastSeen: String?
    private var loading: Task<Void, Never>?
    private(set) var lastError: String?

    init(slot: ModelSlot, store: any ChampionStore, interval: Duration, registry: PrometheusCollectorRegistry, logger: Logger) {
        self.slot = slot
        self.store = store
        self.interval = interval
        self.registry = registry
        self.logger = logger
    }

    enum LoadError: Error, CustomStringConvertible {
        case noChampion
        case unreadable(String)

        var description: String {
            switch self {
            case .noChampion: "no champion has been promoted yet"
            case .unreadable(let reason): reason
            }
        }
    }

    func run() async throws {
        await reloadIfChanged()
        do {
            try await cancelWhenGracefulShutdown {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { try await self.store.watch { await self.reloadIfChanged() } }
                    group.addTask {
                        while true {
                            try await Task.sleep(for: self.interval)
                            await self.reloadIfChanged()
                        }
                    }
                    try await group.waitForAll()
                }
            }
        } catch is CancellationError {
            // Shutting down.
        }
    }

    /// Reloads when the store's revision changed since the last look (or nothing is loaded yet).
    /// Returns once the current champion is loaded, also when a poll, a notification and a
    /// promotion ask at once.
    func reloadIfChanged() async {
        // Awaiting a finished task does not suspend, so the finished one is cleared here: the
        // caller that started it may not have had its turn on the actor yet, and looping on it
        // would spin for ever.
        while let running = loading {
            await running.value
            if loading == running { loading = nil }
        }
        let revision: String?
        do {
            revision = try await store.revision()
        } catch {
            lastError = "the champion store is not reachable: \(error)"
            return
        }
        guard revision != lastSeen || (slot.model == nil && revision != nil) else { return }
        lastSeen = revision
        guard revision != nil else { return }
        let load = Task {
            do {
                try await self.reload()
            } catch {
                self.logger.error("champion not loaded; the previous model keeps serving", metadata: ["error": "\(error)"])
                // A bundle that does not load waits for the next promotion; a store that did not
                // answer is asked again at the next poll.
                if !(error is LoadError) { self.lastSeen = nil }
            }
        }
        loading = load
        await load.value
        if loading == load { loading = nil }
    }

    /// Loads the champion now; throws (and keeps the current model) when it cannot.
    @discardableResult
    func reload() async throws -> LoadedModel {
        do {
            let model = try await load()
            let previous = slot.model
            slot.replace(with: model)
            lastError = nil
            logger.notice(
                "champion loaded",
                metadata: [
                    "model_name": "\(model.name)", "version": "\(model.version)", "previous_version": "\(previous?.version ?? "none")",
                ])
            return model
        } catch {
            lastError = "\(error)"
            throw error
        }
    }

    private func load() async throws -> LoadedModel {
        let record: ChampionRecord
        do {
            guard let found = try await store.load() else { throw LoadError.noChampion }
            record = found
        } catch let error as ChampionStoreError {
            throw LoadError.unreadable(error.description)
        }
        let registry = registry
        return try await Offload.run {
            let pointer = record.pointer
            let bundle: ModelBundle
            do {
                bundle = try ModelBundle.load(from: record.bundle)
            } catch {
                throw LoadError.unreadable("bundle \(pointer.bundlePath) does not load: \(error)")
            }
            return LoadedModel(
                bundle: bundle, name: pointer.modelName, version: pointer.version, runID: pointer.runID,
                bundlePath: pointer.bundlePath, bundleMD5: DataVersion.digest(of: record.bundle).md5,
                metrics: PredictionMetrics(registry: registry, model: pointer.modelName)
            )
        }
    }
}
