import Foundation
import Kernel
import MLCore
import Prometheus
import ServiceLifecycle
import Synchronization

/// Shadow mode: the challenger predicts on a copy of what the champion answered, on the blocking
/// pool after the response, and only whether the two agree is recorded. The copies wait in a
/// queue bounded in records (a batch counts as its records); when the challenger falls behind,
/// new copies are dropped and counted rather than queued without end or slowing requests down.
final class ShadowRunner: Service, Sendable {
    struct Copy: Sendable {
        var records: [[String: RawValue]]
        var answers: [Prediction]
        var challenger: LoadedModel
    }

    /// What the shadow has seen of one challenger since this process began serving it.
    struct Tally: Sendable, Equatable {
        var compared = 0
        var agreed = 0
        var absoluteDifference = 0.0
        var dropped = 0

        var agreement: Double? { compared > 0 ? Double(agreed) / Double(compared) : nil }
        var meanAbsoluteDifference: Double? { compared > 0 ? absoluteDifference / Double(compared) : nil }
    }

    private let stream: AsyncStream<Copy>
    private let continuation: AsyncStream<Copy>.Continuation
    private let tallies = Mutex<[String: Tally]>([:])
    private let registry: PrometheusCollectorRegistry
    /// Records queued and not yet compared, against `capacity`.
    private let queued = Atomic<Int>(0)
    private let capacity: Int

    init(capacity: Int, registry: PrometheusCollectorRegistry) {
        (stream, continuation) = AsyncStream.makeStream(of: Copy.self)
        self.capacity = capacity
        self.registry = registry
    }

    /// Never waits: a copy that would take the queue past its capacity is dropped.
    func submit(records: [[String: RawValue]], answers: [Prediction], challenger: LoadedModel) {
        guard !answers.isEmpty else { return }
        let count = answers.count
        if queued.add(count, ordering: .relaxed).newValue > capacity {
            queued.subtract(count, ordering: .relaxed)
            tallies.withLock { $0[Self.key(challenger), default: Tally()].dropped += count }
            counter(challenger, "dropped").increment(by: Int64(count))
            return
        }
        continuation.yield(Copy(records: records, answers: answers, challenger: challenger))
    }

    func tally(of challenger: LoadedModel) -> Tally {
        tallies.withLock { $0[Self.key(challenger)] ?? Tally() }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await copy in self.stream {
                _ = try? await Offload.run { self.compare(copy) }
                self.queued.subtract(copy.answers.count, ordering: .relaxed)
            }
        }
        continuation.finish()
    }

    private func compare(_ copy: Copy) {
        let shadow = copy.challenger.bundle.predict(records: copy.records)
        var tally = Tally()
        for (answer, outcome) in zip(copy.answers, shadow) {
            guard case .success(let prediction) = outcome else { continue }
            tally.compared += 1
            if answer.label != nil || prediction.label != nil {
                if answer.label == prediction.label { tally.agreed += 1 }
            } else {
                let difference = abs(answer.value - prediction.value)
                tally.absoluteDifference += difference
                // Regressors agree when they predict the same value to the printed precision.
                if difference <= 1e-9 * max(1, abs(answer.value)) { tally.agreed += 1 }
            }
        }
        tallies.withLock { tallies in
            var total = tallies[Self.key(copy.challenger), default: Tally()]
            total.compared += tally.compared
            total.agreed += tally.agreed
            total.absoluteDifference += tally.absoluteDifference
            tallies[Self.key(copy.challenger)] = total
        }
        counter(copy.challenger, "agreed").increment(by: Int64(tally.agreed))
        counter(copy.challenger, "disagreed").increment(by: Int64(tally.compared - tally.agreed))
    }

    private func counter(_ challenger: LoadedModel, _ outcome: String) -> Counter {
        registry.makeCounter(
            descriptor: .init(
                namespace: "mlopsd", metricName: "shadow_predictions", unitName: "total",
                helpText: "Copies of champion predictions the shadow challenger predicted, by outcome"),
            labels: [("model", challenger.name), ("version", challenger.version), ("outcome", outcome)]
        )
    }

    private static func key(_ model: LoadedModel) -> String { "\(model.name)\u{0}\(model.version)" }
}
