import Foundation
import Hummingbird
import Synchronization
import Testing

/// Password reset outside debug mode: the token is never in the answer; it reaches the owner
/// through the configured delivery, a webhook (a receiver in this process) or the log.
@Suite struct PasswordResetLiveTests {
    /// Records the bodies posted to `/hook` on 127.0.0.1.
    final class WebhookReceiver: Sendable {
        let bodies = Mutex<[Data]>([])
        let port = Mutex<Int?>(nil)

        func run<Result: Sendable>(_ body: @Sendable (URL) async throws -> Result) async throws -> Result {
            let router = Router()
            router.post("hook") { request, _ -> HTTPResponse.Status in
                let received = try await request.body.collect(upTo: 1 << 16)
                self.bodies.withLock { $0.append(Data(buffer: received)) }
                return .noContent
            }
            let app = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { channel in self.port.withLock { $0 = channel.localAddress?.port } })
            return try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask {
                    try await app.runService(gracefulShutdownSignals: [])
                    return nil
                }
                // Generous: the whole suite starts servers at once on two cores.
                let deadline = ContinuousClock.now + .seconds(60)
                while port.withLock({ $0 }) == nil, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
                let port = try #require(port.withLock { $0 })
                let result = try await body(try #require(URL(string: "http://127.0.0.1:\(port)/hook")))
                group.cancelAll()
                return result
            }
        }

        /// Polls until a notice arrives.
        func notice() async throws -> [String: Any] {
            let deadline = ContinuousClock.now + .seconds(15)
            while ContinuousClock.now < deadline {
                if let first = bodies.withLock({ $0.first }) {
                    return try #require(try JSONSerialization.jsonObject(with: first) as? [String: Any])
                }
                try await Task.sleep(for: .milliseconds(20))
            }
            throw LiveServer.LiveServerError(description: "no reset notice reached the webhook")
        }
    }

    @Test func theTokenReachesAWebhookAndNotTheAnswerOrTheLog() async throws {
        let receiver = WebhookReceiver()
        try await receiver.run { hook in
            let environment = LiveServerTests.environment.merging([
                "MLOPSD_PASSWORD_RESET_DELIVERY": "webhook", "MLOPSD_PASSWORD_RESET_WEBHOOK_URL": hook.absoluteString,
            ]) { _, new in new }
            let server = try await LiveServer(role: "auth", environment: environment)
            defer { _ = server.stop() }
            let admin = try await RevocationLiveTests.login(server, "admin", "live-admin-password")
            let created = try await server.json(
                "POST", "api/v1/auth/users", ["username": "wendy", "password": "wendy-password", "email": "wendy@example.org"], token: admin)
            #expect(created.status == 201)

            let asked = try await server.json("POST", "api/v1/auth/forgot-password", ["email": "wendy@example.org"])
            #expect(asked.status == 200)
            #expect(try asked.json()["reset_token"] == nil, "outside debug mode the answer never carries the token")
            let notice = try await receiver.notice()
            #expect(notice["username"] as? String == "wendy")
            #expect(notice["email"] as? String == "wendy@example.org")
            let token = try #require(notice["reset_token"] as? String)
            #expect(!server.log.text.contains(token), "webhook delivery keeps the token out of the log")

            let reset = try await server.json("POST", "api/v1/auth/reset-password", ["token": token, "new_password": "wendy-new-password"])
            #expect(reset.status == 200, "\(String(decoding: reset.body, as: UTF8.self))")
            #expect(try await server.json("POST", "api/v1/auth/login", ["username": "wendy", "password": "wendy-new-password"]).status == 200)
        }
    }

    @Test func theLogDeliveryGivesOperatorsTheToken() async throws {
        let environment = LiveServerTests.environment.merging(["MLOPSD_PASSWORD_RESET_DELIVERY": "log"]) { _, new in new }
        let server = try await LiveServer(role: "auth", environment: environment)
        defer { _ = server.stop() }
        #expect(try await server.json("POST", "api/v1/auth/forgot-password", ["username": "admin"]).status == 200)
        var token: String?
        let deadline = ContinuousClock.now + .seconds(15)
        while token == nil, ContinuousClock.now < deadline {
            token =
                server.log.text.split(separator: "\n").compactMap { line -> String? in
                    guard line.contains("password reset token issued"),
                        let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
                    else { return nil }
                    return object["reset_token"] as? String
                }.first
            if token == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        let issued = try #require(token, "no log line with the token: \(server.log.text.suffix(2000))")
        let reset = try await server.json("POST", "api/v1/auth/reset-password", ["token": issued, "new_password": "admin-new-password"])
        #expect(reset.status == 200)
        #expect(try await server.json("POST", "api/v1/auth/login", ["username": "admin", "password": "admin-new-password"]).status == 200)
    }
}
