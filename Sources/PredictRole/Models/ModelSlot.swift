import Atomics

/// What is being served. Readers take the current set with one atomic load — no lock on the
/// prediction path; a reload stores a new reference, and the old models live on until the last
/// request holding them finishes.
final class ModelSlot: Sendable {
    private let current = ManagedAtomic<ServedModels>(.none)

    var served: ServedModels { current.load(ordering: .acquiring) }
    var model: LoadedModel? { served.champion }

    func replace(with served: ServedModels) {
        current.store(served, ordering: .releasing)
    }
}
