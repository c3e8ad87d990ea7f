import Foundation

/// The champion with the bytes of its bundle, as a predict replica loads it.
public struct ChampionRecord: Sendable {
    public var pointer: ChampionPointer
    public var bundle: Data

    public init(pointer: ChampionPointer, bundle: Data) {
        self.pointer = pointer
        self.bundle = bundle
    }
}

public struct ChampionStoreError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Where the champion lives, and how those who serve it learn that it changed: files on the
/// models volume (one machine, or replicas sharing the volume), or rows in the shared database
/// (replicas with no shared file system).
public protocol ChampionStore: Sendable {
    /// Makes `pointer` the champion, with `bundle` as its bundle's bytes.
    func publish(_ pointer: ChampionPointer, bundle: Data) async throws
    func current() async throws -> ChampionPointer?
    /// The champion and its bundle, the bundle checked against the pointer's MD5.
    func load() async throws -> ChampionRecord?
    /// Changes whenever the champion does, and is cheap to read: what a poll compares.
    func revision() async throws -> String?
    /// Calls `changed` each time another process publishes, until cancelled. Returns at once
    /// when the store cannot push changes (then the poll carries them).
    func watch(_ changed: @escaping @Sendable () async -> Void) async throws
    /// Makes `plan` the serving plan. `bundles` holds, by bundle path, the bytes of each model the
    /// plan names; a model the store already holds may be left out. Moves the revision.
    func publishPlan(_ plan: ServingPlan, bundles: [String: Data]) async throws
    /// The serving plan; nil until one is published.
    func plan() async throws -> ServingPlan?
    /// The bytes of a bundle the champion or the plan names, checked against the pointer's MD5.
    func bundle(for pointer: ChampionPointer) async throws -> Data
}

extension ChampionRecord {
    /// Refuses a bundle whose bytes are not the ones the pointer names.
    static func verified(_ pointer: ChampionPointer, bundle: Data) throws -> ChampionRecord {
        let md5 = DataVersion.digest(of: bundle).md5
        guard pointer.bundleMD5.isEmpty || md5 == pointer.bundleMD5 else {
            throw ChampionStoreError("bundle \(pointer.bundlePath) has md5 \(md5), the pointer says \(pointer.bundleMD5)")
        }
        return ChampionRecord(pointer: pointer, bundle: bundle)
    }
}

/// `champion.json`, `serving.json` and `champion/<name>-v<version>-<md5>.mlbundle` under
/// `MLOPSD_MODELS_DIR`. Bundles are written first under names of their own, then the pointer or
/// plan by one rename, so a reader sees the old state or the new one, never half of either.
/// Followers poll a `stat` of both, which is cheaper than any notification set-up and works on
/// every volume type.
public struct FileChampionStore: ChampionStore {
    public let modelsDirectory: URL

    public init(modelsDirectory: URL) {
        self.modelsDirectory = modelsDirectory
    }

    var pointerURL: URL { modelsDirectory.appendingPathComponent(ChampionPointer.fileName) }
    var planURL: URL { modelsDirectory.appendingPathComponent("serving.json") }

    public func publish(_ pointer: ChampionPointer, bundle: Data) async throws {
        let url = try bundleURL(pointer)
        try Durable.makeDirectory(url.deletingLastPathComponent())
        // Durable before the pointer names it: after a power cut the pointer must not outlive it.
        try Durable.write(bundle, to: url)
        FaultPoint.championBundleStored.reached()
        try pointer.write(modelsDirectory: modelsDirectory)
    }

    public func current() async throws -> ChampionPointer? {
        try ChampionPointer.read(modelsDirectory: modelsDirectory)
    }

    public func load() async throws -> ChampionRecord? {
        guard let pointer = try ChampionPointer.read(modelsDirectory: modelsDirectory) else { return nil }
        let url = try bundleURL(pointer)
        guard let bundle = FileManager.default.contents(atPath: url.path) else {
            throw ChampionStoreError("bundle \(pointer.bundlePath) is missing")
        }
        return try .verified(pointer, bundle: bundle)
    }

    public func revision() async throws -> String? {
        let champion = Self.stamp(pointerURL)
        let plan = Self.stamp(planURL)
        guard champion != nil || plan != nil else { return nil }
        return "\(champion ?? "-")/\(plan ?? "-")"
    }

    /// Changes whenever the file is replaced: each write renames a new inode over it.
    private static func stamp(_ url: URL) -> String? {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: url.path) else { return nil }
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        return "\(modified)-\(attributes[.size] as? Int ?? 0)-\(attributes[.systemFileNumber] as? Int ?? 0)"
    }

    public func watch(_ changed: @escaping @Sendable () async -> Void) async throws {}

    public func publishPlan(_ plan: ServingPlan, bundles: [String: Data]) async throws {
        for model in plan.models {
            guard let bundle = bundles[model.bundlePath] else { continue }
            let url = try bundleURL(model)
            try Durable.makeDirectory(url.deletingLastPathComponent())
            try Durable.write(bundle, to: url)
        }
        try Durable.write(try plan.encoded() + Data("\n".utf8), to: planURL)
    }

    public func plan() async throws -> ServingPlan? {
        guard let data = FileManager.default.contents(atPath: planURL.path) else { return nil }
        do {
            return try ServingPlan.decoded(from: data)
        } catch {
            throw ChampionStoreError("serving.json does not read: \(error)")
        }
    }

    public func bundle(for pointer: ChampionPointer) async throws -> Data {
        guard let bundle = FileManager.default.contents(atPath: try bundleURL(pointer).path) else {
            throw ChampionStoreError("bundle \(pointer.bundlePath) is missing")
        }
        return try ChampionRecord.verified(pointer, bundle: bundle).bundle
    }

    private func bundleURL(_ pointer: ChampionPointer) throws -> URL {
        guard !pointer.bundlePath.hasPrefix("/"), !pointer.bundlePath.split(separator: "/").contains("..") else {
            throw ChampionStoreError("bundle_path '\(pointer.bundlePath)' leaves the models directory")
        }
        return modelsDirectory.appendingPathComponent(pointer.bundlePath)
    }
}
