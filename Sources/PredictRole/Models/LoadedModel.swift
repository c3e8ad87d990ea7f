import Atomics
import Foundation
import Kernel
import MLCore

/// A bundle loaded for serving, with where it came from. Immutable: a reload makes a new one,
/// so a request that picked a model keeps it to the end, whatever is swapped in meanwhile.
final class LoadedModel: Sendable, AtomicReference {
    let bundle: ModelBundle
    let name: String
    let version: String
    let runID: String?
    let bundlePath: String
    let bundleMD5: String
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

    init(
        bundle: ModelBundle, name: String, version: String, runID: String?, bundlePath: String, bundleMD5: String,
        metrics: PredictionMetrics, loadedAt: Date = Date()
    ) {
        self.bundle = bundle
        self.name = name
        self.version = version
        self.runID = runID
        self.bundlePath = bundlePath
        self.bundleMD5 = bundleMD5
        self.metrics = metrics
        self.loadedAt = loadedAt
        var categories: [String: Set<String>] = [:]
        for column in bundle.inputSchema where column.kind == .categorical {
            if let known = column.categories { categories[column.name] = Set(known) }
        }
        self.categories = categories
        self.inputNames = Set(bundle.inputSchema.map(\.name))
        let numbers = bundle.classLabels.compactMap { label in Int(label).flatMap { String($0) == label ? (label, $0) : nil } }
        self.numericLabels =
            !bundle.classLabels.isEmpty && numbers.count == bundle.classLabels.count ? Dictionary(numbers, uniquingKeysWith: { first, _ in first }) : nil
    }
}

/// The champion being served. Readers take the current model with one atomic load — no lock on
/// the prediction path; a reload stores a new reference, and the old model lives on until the
/// last request holding it finishes.
final class ModelSlot: Sendable {
    private let current = ManagedAtomic<LoadedModel?>(nil)

    var model: LoadedModel? { current.load(ordering: .acquiring) }

    func replace(with model: LoadedModel) {
        current.store(model, ordering: .releasing)
    }
}
