import Foundation
import Kernel
import Logging
import MLCore
import Prometheus
import ServiceLifecycle

/// Loads the champion and the serving plan (pinned versions, the challenger) from their store and
/// keeps following them: changes are pushed where the store can (PostgreSQL notifications), a
/// change in the same process calls `reloadIfChanged()` at once, and a poll of the store's
/// revision catches anything else. A change loads new bundles off the event loop (the store
/// checks their MD5), reuses those already loaded, and swaps the whole set in at once. A champion
/// that does not load is logged and the old set keeps serving; a pinned version or challenger
/// that does not load is left out and named in `lastError`.
actor ChampionLoader: Service {
    let slot: ModelSlot
    let store: any ChampionStore
    let interval: Duration
    let registry: PrometheusCollectorRegistry
    let drift: DriftSettings
    /// Every model served, so feedback that arrives after it left still finds its classes.
    let known: KnownModels
    let logger: Logger
    private var lastSeen: String?
    /// The check-and-load running now, if any.
    private var loading: Task<Void, Never>?
    private(set) var lastError: String?

    init(
        slot: ModelSlot, store: any ChampionStore, interval: Duration, registry: PrometheusCollectorRegistry, drift: DriftSettings = .init(),
        known: KnownModels = KnownModels(), logger: Logger
    ) {
        self.slot = slot
        self.store = store
        self.interval = interval
        self.registry = registry
        self.drift = drift
        self.known = known
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
    /// Returns once the current set is loaded, also when a poll, a notification and a change
    /// ask at once: one check-and-load runs at a time, and whoever comes meanwhile waits for it
    /// and then checks again.
    func reloadIfChanged() async {
        await joinRunningLoad()
        let load = Task { await self.loadIfChanged() }
        loading = load
        await load.value
        if loading == load { loading = nil }
    }

    /// Loads the champion and the plan now, after any load already running; throws (and keeps
    /// the current set) when the champion cannot be loaded.
    @discardableResult
    func reload() async throws -> ServedModels {
        await joinRunningLoad()
        let load = Task { try await self.loadServed() }
        let waiter = Task { _ = try? await load.value }
        loading = waiter
        defer { if loading == waiter { loading = nil } }
        return try await load.value
    }

    /// No suspension between the end of this and the caller setting `loading`, so no other
    /// caller can start a load in between.
    private func joinRunningLoad() async {
        // Awaiting a finished task does not suspend, so the finished one is cleared here: the
        // caller that started it may not have had its turn on the actor yet, and looping on it
        // would spin for ever.
        while let running = loading {
            await running.value
            if loading == running { loading = nil }
        }
    }

    private func loadIfChanged() async {
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
        do {
            _ = try await loadServed()
        } catch {
            logger.error("champion not loaded; the previous models keep serving", metadata: ["error": "\(error)"])
            // A bundle that does not load waits for the next change; a store that did not
            // answer is asked again at the next poll.
            if !(error is LoadError) { lastSeen = nil }
        }
    }

    /// The champion and the plan's models, swapped in together. A pinned version or challenger
    /// that cannot be fetched because the store did not answer keeps its previous instance, and
    /// the next poll tries again; one whose bundle does not load is left out until the plan
    /// changes.
    private func loadServed() async throws -> ServedModels {
        do {
            let previous = slot.served
            let loaded = previous.all
            let champion = try await loadChampion(reusing: loaded)
            var problems: [String] = []
            var retry = false
            var pinned: [LoadedModel] = []
            var challenger: LoadedModel?
            let plan: ServingPlan
            do {
                plan = try await store.plan() ?? .empty
            } catch {
                // Keep serving what was served; the next poll reads the plan again.
                problems.append("the serving plan does not read: \(error)")
                lastSeen = nil
                let kept = ServedModels(
                    champion: champion, pinned: previous.pinned, challenger: previous.challenger, mode: previous.mode, share: previous.share)
                slot.replace(with: kept)
                lastError = problems.joined(separator: "; ")
                return kept
            }
            func kept(_ pointer: ChampionPointer, _ arm: Arm) -> LoadedModel? {
                loaded.first { $0.arm == arm && $0.name == pointer.modelName && $0.version == pointer.version }
            }
            for pointer in plan.pinned {
                do {
                    pinned.append(try await model(pointer, arm: .pinned, reusing: loaded + [champion]))
                } catch {
                    problems.append("pinned \(pointer.modelName) version \(pointer.version) does not load: \(error)")
                    if !(error is LoadError), let previous = kept(pointer, .pinned) {
                        pinned.append(previous)
                        retry = true
                    }
                }
            }
            if let setting = plan.challenger {
                do {
                    challenger = try await model(setting.model, arm: .challenger, reusing: loaded + [champion] + pinned)
                } catch {
                    problems.append("challenger \(setting.model.modelName) version \(setting.model.version) does not load: \(error)")
                    if !(error is LoadError) {
                        challenger = kept(setting.model, .challenger)
                        retry = true
                    }
                }
            }
            if retry { lastSeen = nil }
            let served = ServedModels(
                champion: champion, pinned: pinned, challenger: challenger, mode: plan.challenger?.mode ?? .canary,
                share: plan.challenger?.share ?? 0)
            known.remember(served.all)
            slot.replace(with: served)
            lastError = problems.isEmpty ? nil : problems.joined(separator: "; ")
            for problem in problems {
                logger.error("model left out; the others serve", metadata: ["error": "\(problem)"])
            }
            if previous.champion?.bundleMD5 != champion.bundleMD5 || previous.champion?.version != champion.version {
                logger.notice(
                    "champion loaded",
                    metadata: [
                        "model_name": "\(champion.name)", "version": "\(champion.version)",
                        "previous_version": "\(previous.champion?.version ?? "none")",
                    ])
            }
            if previous.all.map(\.bundleMD5) != served.all.map(\.bundleMD5) || previous.share != served.share || previous.mode != served.mode {
                logger.notice(
                    "serving set changed",
                    metadata: [
                        "pinned": "\(pinned.map { "\($0.name)@\($0.version)" })",
                        "challenger": "\(challenger.map { "\($0.name)@\($0.version)" } ?? "none")", "mode": "\(served.mode.rawValue)",
                        "share": "\(served.share)",
                    ])
            }
            return served
        } catch {
            lastError = "\(error)"
            throw error
        }
    }

    private func loadChampion(reusing loaded: [LoadedModel]) async throws -> LoadedModel {
        let pointer: ChampionPointer
        do {
            guard let current = try await store.current() else { throw LoadError.noChampion }
            pointer = current
        } catch let error as ChampionStoreError {
            throw LoadError.unreadable(error.description)
        }
        return try await model(pointer, arm: .champion, reusing: loaded)
    }

    /// A served model for `pointer`: the one already serving in that arm, the same bundle from
    /// another arm, or the bundle fetched and decoded now.
    private func model(_ pointer: ChampionPointer, arm: Arm, reusing loaded: [LoadedModel]) async throws -> LoadedModel {
        // Only a champion promoted before pointers carried an MD5 may lack one.
        guard arm == .champion || !pointer.bundleMD5.isEmpty else {
            throw LoadError.unreadable("\(pointer.modelName) version \(pointer.version) names no bundle MD5")
        }
        if let same = loaded.first(where: {
            $0.arm == arm && $0.bundleMD5 == pointer.bundleMD5 && $0.name == pointer.modelName && $0.version == pointer.version
        }) {
            return same
        }
        if let decoded = loaded.first(where: { $0.bundleMD5 == pointer.bundleMD5 }) {
            return decoded.serving(
                as: arm, name: pointer.modelName, version: pointer.version, runID: pointer.runID, bundlePath: pointer.bundlePath, registry: registry,
                drift: drift)
        }
        let bytes: Data
        do {
            bytes = try await store.bundle(for: pointer)
        } catch let error as ChampionStoreError {
            throw LoadError.unreadable(error.description)
        }
        let registry = registry
        let drift = drift
        return try await Offload.run {
            let before = HeapUsage.allocatedBytes()
            let bundle: ModelBundle
            do {
                bundle = try ModelBundle.load(from: bytes)
            } catch {
                throw LoadError.unreadable("bundle \(pointer.bundlePath) does not load: \(error)")
            }
            let memory = HeapUsage.growth(since: before)
            return LoadedModel(
                bundle: bundle, name: pointer.modelName, version: pointer.version, arm: arm, runID: pointer.runID,
                bundlePath: pointer.bundlePath, bundleMD5: DataVersion.digest(of: bytes).md5, bundleBytes: bytes.count, memoryBytes: memory,
                registry: registry, drift: drift
            )
        }
    }
}
