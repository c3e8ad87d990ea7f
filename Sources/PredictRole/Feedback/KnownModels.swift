import MLCore
import Synchronization

/// What feedback needs of a model that predicted: its name, task and classes. Kept for the
/// models served now and the last few before them, so truth that arrives after a promotion
/// still counts for the model that made the prediction, without keeping its bundle in memory.
final class KnownModels: Sendable {
    struct Identity: Sendable {
        var name: String
        var version: String
        var task: TaskKind
        var classLabels: [String]
    }

    private let identities = Mutex<(byKey: [UInt64: Identity], order: [UInt64])>(([:], []))
    private let capacity: Int

    init(capacity: Int = 64) {
        self.capacity = capacity
    }

    func remember(_ models: [LoadedModel]) {
        identities.withLock { state in
            for model in models {
                // Served again: to the back, so the models serving now are the last forgotten.
                state.order.removeAll { $0 == model.key }
                state.order.append(model.key)
                state.byKey[model.key] = Identity(
                    name: model.name, version: model.version, task: model.bundle.task, classLabels: model.bundle.classLabels)
            }
            while state.order.count > capacity {
                state.byKey[state.order.removeFirst()] = nil
            }
        }
    }

    func identity(of key: UInt64) -> Identity? {
        identities.withLock { $0.byKey[key] }
    }
}
