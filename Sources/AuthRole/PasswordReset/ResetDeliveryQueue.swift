import Logging
import ServiceLifecycle

/// Looks up, issues and delivers reset tokens after the request is answered, so a request for an
/// existing account takes no longer than one for an unknown name, and a slow webhook holds no
/// request. Bounded: past 256 waiting requests, new ones are dropped and logged (the requester
/// may ask again).
final class ResetDeliveryQueue: Service, Sendable {
    let issuer: ResetTokenIssuer
    let delivery: ResetDelivery
    let logger: Logger
    private let requests: AsyncStream<ResetRequest>
    private let continuation: AsyncStream<ResetRequest>.Continuation

    init(issuer: ResetTokenIssuer, delivery: ResetDelivery, logger: Logger) {
        self.issuer = issuer
        self.delivery = delivery
        self.logger = logger
        (requests, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingOldest(256))
    }

    func enqueue(_ request: ResetRequest) {
        if case .dropped = continuation.yield(request) {
            logger.error("password reset request dropped: too many waiting")
        }
    }

    /// Until graceful shutdown; what is still waiting then is not handled.
    func run() async {
        await cancelWhenGracefulShutdown {
            for await request in self.requests {
                do {
                    for notice in try await self.issuer.issue(request) {
                        await self.delivery.deliver(notice, logger: self.logger)
                    }
                } catch {
                    self.logger.error("password reset not issued", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
