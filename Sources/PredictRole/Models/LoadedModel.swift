import Atomics
import Foundation
import Kernel
import MLCore
import Prometheus

/// A bundle loaded for serving in one arm, with where it came from. Immutable: a reload makes a
/// new one, so a request that picked a model keeps it to the end, whatever is swapped in
/// meanwhile. The same bundle serving in two arms (pinned and champion) is two of these sharing
/// one decoded bundle, with series of their own.
final class LoadedModel: Sendable {
    let bundle: ModelBundle
    let name: String
    let version: String
    let arm: Arm
    let runID: String?
    let bundlePath: String
    let bundleMD5: String
    /// The first 8 bytes of the bundle's MD5: how prediction ids name the model.
    let key: UInt64
    let bundleBytes: Int
    /// Heap growth while the bundle decoded: what holding this model costs.
    let memoryBytes: Int
    let loadedAt: Date
    /// Resolved at load time, so a request only increments.
    let metrics: PredictionMetrics
    /// Known categories per categorical input, and every input name, for validating records.
    let categories: [String: Set<String>]
    let inputNames: Set<String>
    /// The labels as numbers when the model learnt numbers (a 0/1 target): answered as JSON
    /// numbers, so clients compare them with the values they trained on. Nil when any label is
    /// not an integer written the canonical way (`"01"`, `"1.0"` and text stay strings).
    let numericLabels: [String: Int]?
    /// Counts what this model serves against its training profile; nil for a bundle without one.
    let drift: DriftMonitor?

    init(
        bundle: ModelBundle, name: String, version: String, arm: Arm = .champion, runID: String?, bundlePath: String, bundleMD5: String,
        bundleBytes: Int = 0, memoryBytes: Int = 0, registry: PrometheusCollectorRegistry, drift: DriftSettings = .init(), loadedAt: Date = Date()
    ) {
        self.bundle = bundle
        self.name = name
        self.version = version
        self.arm = arm
        self.runID = runID
        self.bundlePath = bundlePath
        self.bundleMD5 = bundleMD5
        self.key = Self.key(md5: bundleMD5)
        self.bundleBytes = bundleBytes
        self.memoryBytes = memoryBytes
        self.loadedAt = loadedAt
        self.metrics = PredictionMetrics(
            registry: registry, model: name, version: version, arm: arm, heldOut: bundle.metrics.filter { Metric(rawValue: $0.key) != nil })
        var categories: [String: Set<String>] = [:]
        for column in bundle.inputSchema where column.kind == .categorical {
            if let known = column.categories { categories[column.name] = Set(known) }
        }
        self.categories = categories
        self.inputNames = Set(bundle.inputSchema.map(\.name))
        let numbers = bundle.classLabels.compactMap { label in Int(label).flatMap { String($0) == label ? (label, $0) : nil } }
        self.numericLabels =
            !bundle.classLabels.isEmpty && numbers.count == bundle.classLabels.count ? Dictionary(numbers, uniquingKeysWith: { first, _ in first }) : nil
        self.drift =
            drift.window > 0
            ? bundle.referenceProfile.map { DriftMonitor(profile: $0, settings: drift, registry: registry, model: name, version: version, arm: arm) } : nil
    }

    /// The same bundle in another arm, without decoding it again.
    func serving(
        as arm: Arm, name: String, version: String, runID: String?, bundlePath: String, registry: PrometheusCollectorRegistry, drift: DriftSettings
    ) -> LoadedModel {
        LoadedModel(
            bundle: bundle, name: name, version: version, arm: arm, runID: runID, bundlePath: bundlePath, bundleMD5: bundleMD5,
            bundleBytes: bundleBytes, memoryBytes: memoryBytes, registry: registry, drift: drift, loadedAt: loadedAt)
    }

    static func key(md5: String) -> UInt64 {
        UInt64(md5.prefix(16), radix: 16) ?? 0
    }
}
