import Foundation
import MLOpsTesting
import Testing

/// Disabling an account reaches roles in other processes: on SQLite through the auth role's
/// revocation feed (MLOPSD_AUTH_URL), on PostgreSQL through the shared ledger. The roles poll every
/// two seconds; the tests allow fifteen, as on 2 busy cores (the whole suite runs beside them) a
/// replica's poll can be late by several seconds. The delay measured is printed.
@Suite(.serialized) struct RevocationLiveTests {
    static func login(_ server: LiveServer, _ username: String, _ password: String) async throws -> String {
        let reply = try await server.json("POST", "api/v1/auth/login", ["username": username, "password": password])
        return try #require(try reply.json()["access_token"] as? String, "\(String(decoding: reply.body, as: UTF8.self))")
    }

    /// Polls until `server` refuses `token`; the time it took, or nil after fifteen seconds.
    static func refusal(of token: String, at server: LiveServer) async throws -> Duration? {
        let started = ContinuousClock.now
        while ContinuousClock.now - started < .seconds(15) {
            if try await server.request("GET", "api/v1/predict/models", token: token).status == 401 {
                return ContinuousClock.now - started
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    @Test func aDisabledAccountIsRefusedByARoleInAnotherProcess() async throws {
        let auth = try await LiveServer(role: "auth", environment: LiveServerTests.environment)
        defer { _ = auth.stop() }
        let predict = try await LiveServer(
            role: "predict", environment: LiveServerTests.environment.merging(["MLOPSD_AUTH_URL": auth.baseURL.absoluteString]) { _, new in new }
        )
        defer { _ = predict.stop() }
        let admin = try await Self.login(auth, "admin", "live-admin-password")
        let created = try await auth.json(
            "POST", "api/v1/auth/users", ["username": "dora", "password": "dora-password", "email": "dora@example.org"], token: admin
        )
        #expect(created.status == 201)
        let dora = try await Self.login(auth, "dora", "dora-password")
        #expect(try await predict.request("GET", "api/v1/predict/models", token: dora).status == 200)

        #expect(try await auth.json("PATCH", "api/v1/auth/users/dora", ["disabled": true], token: admin).status == 200)
        let delay = try await Self.refusal(of: dora, at: predict)
        #expect(
            delay != nil,
            "the predict role still accepts a disabled account's token after 15 s; its log: \(predict.log.text.split(separator: "\n").filter { $0.contains("revocation") || $0.contains("warning") }.suffix(5))"
        )
        print("revocation: the predict role refused the disabled account \(delay.map { "\($0)" } ?? "never") later")
        #expect(try await predict.request("GET", "api/v1/predict/models", token: admin).status == 200, "other accounts unaffected")

        // Signing out with only the access token reaches the other process the same way.
        let signedOut = try await Self.login(auth, "admin", "live-admin-password")
        #expect(try await predict.request("GET", "api/v1/predict/models", token: signedOut).status == 200)
        #expect(try await auth.request("POST", "api/v1/auth/logout", token: signedOut).status == 204)
        let signOutDelay = try await Self.refusal(of: signedOut, at: predict)
        #expect(signOutDelay != nil, "the predict role still accepts a signed-out token after 15 s")
        print("revocation: the predict role refused the signed-out token \(signOutDelay.map { "\($0)" } ?? "never") later")
        #expect(try await predict.request("GET", "api/v1/predict/models", token: admin).status == 200, "the account's other sessions live on")
    }

    @Test(.enabled(if: StoreBackend.databaseURL != nil, "set MLOPSD_TEST_DATABASE_URL to run replicas on PostgreSQL"))
    func aDemotedAdminIsRefusedByEveryReplica() async throws {
        try await StoreBackend.withFreshDatabase { database in
            let settings = LiveServerTests.environment.merging(["MLOPSD_DATABASE_URL": database]) { _, new in new }
            let first = try await LiveServer(role: "auth", environment: settings)
            defer { _ = first.stop() }
            let second = try await LiveServer(role: "auth", environment: settings)
            defer { _ = second.stop() }
            let predict = try await LiveServer(role: "predict", environment: settings)
            defer { _ = predict.stop() }
            let admin = try await Self.login(first, "admin", "live-admin-password")
            let created = try await first.json(
                "POST", "api/v1/auth/users",
                ["username": "erin", "password": "erin-password", "email": "erin@example.org", "role": "admin"], token: admin
            )
            #expect(created.status == 201)
            let erin = try await Self.login(second, "erin", "erin-password")
            #expect(try await second.request("GET", "api/v1/auth/users", token: erin).status == 200)

            #expect(try await first.json("PATCH", "api/v1/auth/users/erin", ["role": "user"], token: admin).status == 200)
            // The other auth replica checks the account itself on its admin routes: no delay there.
            let undo = try await second.json("PATCH", "api/v1/auth/users/erin", ["role": "admin"], token: erin)
            #expect(undo.status == 401 || undo.status == 403, "status \(undo.status)")
            let delay = try await Self.refusal(of: erin, at: predict)
            #expect(
                delay != nil,
                "a predict replica still accepts a demoted admin's token after 15 s; its log: \(predict.log.text.split(separator: "\n").filter { $0.contains("revocation") || $0.contains("warning") }.suffix(5))"
            )
            print("revocation: a predict replica on PostgreSQL refused the demoted admin's token \(delay.map { "\($0)" } ?? "never") later")

            // A sign-out at one auth replica reaches the predict replica through the shared ledger.
            #expect(try await second.request("POST", "api/v1/auth/logout", token: admin).status == 204)
            #expect(try await Self.refusal(of: admin, at: predict) != nil, "a predict replica still accepts a signed-out token after 15 s")
        }
    }
}
