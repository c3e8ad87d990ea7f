import Foundation
import Kernel
import Logging
import MLCore
import Prometheus
import ServiceLifecycle

/// Loads the bundle `champion.json` names and keeps following it: the pointer is polled (a
/// `stat` per interval is cheaper than any notification set-up and works on every volume type),
/// and a promotion in the same process calls `reloadIfChanged()` at once. A change loads the new
/// bundle off the event loop, checks its MD5, and swaps it in. A bundle that does not load is
/// logged and the old model keeps serving.
actor ChampionLoader: Service {
    let slot: ModelSlot
    let modelsDirectory: URL
    let interval: Duration
    let registry: PrometheusCollectorRegistry
    let logger: Logger
    private var lastSeen: FileStamp?
    private var loading: Task<Void, Never>?
    private(set) var lastError: String?

    init(slot: ModelSlot, modelsDirectory: URL, interval: Duration, registry: PrometheusCollectorRegistry, logger: Logger) {
        self.slot = slot
        self.modelsDirectory = modelsDirectory
        self.interval = interval
        self.registry = registry
        self.logger = logger
    }

    /// What identifies a version of the pointer file without reading it.
    struct FileStamp: Equatable {
        var modified: Date
        var size: Int
        var inode: Int
    }

    enum LoadError: Error, CustomStringConvertible {
        case noChampion
        case unreadable(String)

        var description: String {
            switch self {
            case .noChampion: "no champion has been promoted yet (\(ChampionPointer.fileName) is missing)"
            case .unreadable(let reason): reason
            }
        }
    }

    func run() async throws {
        await reloadIfChanged()
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    try await Task.sleep(for: self.interval)
                    await self.reloadIfChanged()
                }
            }
        } catch is CancellationError {
            // Shutting down.
        }
    }

    /// Reloads when the pointer file changed since the last look (or was never loaded). Returns
    /// once the current pointer is loaded, also when the poll and a promotion ask at once.
    func reloadIfChanged() async {
        while let running = loading {
            await running.value
        }
        let stamp = Self.stamp(of: modelsDirectory.appendingPathComponent(ChampionPointer.fileName))
        guard stamp != lastSeen || (slot.model == nil && stamp != nil) else { return }
        lastSeen = stamp
        guard stamp != nil else { return }
        let load = Task {
            do {
                try await self.reload()
            } catch {
                self.logger.error("champion not loaded; the previous model keeps serving", metadata: ["error": "\(error)"])
            }
        }
        loading = load
        await load.value
        loading = nil
    }

    /// Loads the champion now; throws (and keeps the current model) when it cannot.
    @discardableResult
    func reload() async throws -> LoadedModel {
        do {
            let model = try await load()
            let previous = slot.model
            slot.replace(with: model)
            lastError = nil
            logger.notice("champion loaded", metadata: [
                "model_name": "\(model.name)", "version": "\(model.version)", "previous_version": "\(previous?.version ?? "none")",
            ])
            return model
        } catch {
            lastError = "\(error)"
            throw error
        }
    }

    private func load() async throws -> LoadedModel {
        let directory = modelsDirectory
        let registry = registry
        return try await Offload.run {
            guard let pointer = try ChampionPointer.read(modelsDirectory: directory) else { throw LoadError.noChampion }
            guard !pointer.bundlePath.hasPrefix("/"), !pointer.bundlePath.split(separator: "/").contains("..") else {
                throw LoadError.unreadable("bundle_path '\(pointer.bundlePath)' leaves the models directory")
            }
            let url = directory.appendingPathComponent(pointer.bundlePath)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw LoadError.unreadable("bundle \(pointer.bundlePath) is missing")
            }
            let digest = DataVersion.digest(of: data)
            guard pointer.bundleMD5.isEmpty || digest.md5 == pointer.bundleMD5 else {
                throw LoadError.unreadable("bundle \(pointer.bundlePath) has md5 \(digest.md5), the pointer says \(pointer.bundleMD5)")
            }
            let bundle: ModelBundle
            do {
                bundle = try ModelBundle.load(from: data)
            } catch {
                throw LoadError.unreadable("bundle \(pointer.bundlePath) does not load: \(error)")
            }
            return LoadedModel(
                bundle: bundle, name: pointer.modelName, version: pointer.version, runID: pointer.runID,
                bundlePath: pointer.bundlePath, bundleMD5: digest.md5,
                metrics: PredictionMetrics(registry: registry, model: pointer.modelName)
            )
        }
    }

    static func stamp(of url: URL) -> FileStamp? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path) else { return nil }
        return FileStamp(
            modified: attributes[.modificationDate] as? Date ?? .distantPast,
            size: attributes[.size] as? Int ?? 0,
            inode: attributes[.systemFileNumber] as? Int ?? 0
        )
    }
}
