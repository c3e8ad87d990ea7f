import Logging
import ServiceLifecycle

/// Delivers reset tokens off the request path, so a request for an existing account takes no
/// longer than one for an unknown name, and a slow webhook holds no request. Bounded: past 256
/// waiting deliveries, new ones are dropped and logged (the requester may ask again).
final class ResetDeliveryQueue: Service, Sendable {
    let delivery: ResetDelivery
    let logger: Logger
    private let notices: AsyncStream<ResetDelivery.Notice>
    private let continuation: AsyncStream<ResetDelivery.Notice>.Continuation

    init(delivery: ResetDelivery, logger: Logger) {
        self.delivery = delivery
        self.logger = logger
        (notices, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(256))
    }

    func enqueue(_ notice: ResetDelivery.Notice) {
        if case .dropped = continuation.yield(notice) {
            logger.error("password reset not delivered: too many waiting", metadata: ["username": "\(notice.username)"])
        }
    }

    /// Until graceful shutdown; what is still waiting then is not delivered.
    func run() async {
        await cancelWhenGracefulShutdown {
            for await notice in self.notices {
                await self.delivery.deliver(notice, logger: self.logger)
            }
        }
    }
}
