import Foundation
import Kernel
import Logging
import ServiceLifecycle

/// Deletes feedback past its retention, hourly, so the table holds at most that much; and
/// refreshes the live-metric gauges every minute, so feedback itself costs only its insert.
struct FeedbackMaintenance: Service {
    let store: any FeedbackStore
    let retention: Duration
    let logger: Logger
    let refreshGauges: @Sendable () async -> Void

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                var minute = 0
                while true {
                    if minute % 60 == 0 { await prune() }
                    await refreshGauges()
                    minute += 1
                    try await Task.sleep(for: .seconds(60))
                }
            }
        } catch is CancellationError {
            // Shutting down.
        }
    }

    private func prune() async {
        do {
            let removed = try await store.prune(receivedBefore: Date().addingTimeInterval(-Double(retention.components.seconds)))
            if removed > 0 { logger.info("old feedback deleted", metadata: ["rows": "\(removed)"]) }
        } catch {
            logger.warning("feedback not pruned; trying again in an hour", metadata: ["error": "\(error)"])
        }
    }
}
