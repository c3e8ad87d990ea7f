import Foundation
import HTTPTypes
import Kernel
import MLOpsTesting
import Testing

/// `POST /forgot-password` and `POST /reset-password` as the replaced services' clients use them,
/// in debug mode, where the token comes back in the answer.
@Suite struct PasswordResetTests {
    @Test func aResetTokenSetsANewPasswordOnceAndEndsEverySession() async throws {
        let harness = try await AuthHarness()
        try await harness.run { client in
            let before = try await client.adminTokens()
            let asked = try await client.send(.post, "/api/v1/auth/forgot-password", json: ["username": "admin"])
            #expect(asked.status == .ok)
            let token = try #require(try asked.json()["reset_token"]?.stringValue)
            #expect(try asked.json()["expires_in"] == 900)
            // An unknown name gets the same answer, without a token.
            let unknown = try await client.send(.post, "/api/v1/auth/forgot-password", json: ["username": "nobody"])
            #expect(unknown.status == .ok)
            #expect(try unknown.json()["message"] == asked.json()["message"])
            #expect(try unknown.json()["reset_token"] == nil)

            let short = try await client.send(.post, "/api/v1/auth/reset-password", json: ["token": .string(token), "new_password": "short"])
            #expect(short.status == .unprocessableContent)
            #expect(try short.json()["error"]?["details"]?[0]?["field"] == "new_password")
            let wrong = try await client.send(.post, "/api/v1/auth/reset-password", json: ["token": "not-the-token", "new_password": "brand-new-password"])
            #expect(wrong.status == .badRequest)
            #expect(try wrong.json()["error"]?["details"]?[0]?["field"] == "token")

            let reset = try await client.send(.post, "/api/v1/auth/reset-password", json: ["token": .string(token), "new_password": "brand-new-password"])
            #expect(reset.status == .ok, "\(String(buffer: reset.body))")
            #expect(try await client.login("admin", "brand-new-password").status == .ok)
            #expect(try await client.login("admin", TestEnvironment.adminPassword).status == .unauthorized)
            #expect(try await client.send(.get, "/api/v1/auth/me", token: before.access).status == .unauthorized)
            #expect(try await client.send(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(before.refresh)]).status == .unauthorized)
            // Single use.
            let again = try await client.send(.post, "/api/v1/auth/reset-password", json: ["token": .string(token), "new_password": "another-password"])
            #expect(again.status == .badRequest)
        }
    }

    /// Tokens sent by email stand side by side until one is used; a password change or a disabled
    /// account withdraws them, and a disabled account gets none.
    @Test func usingATokenOrChangingTheAccountWithdrawsTheOthers() async throws {
        let harness = try await AuthHarness()
        try await harness.run { client in
            let admin = try await client.adminTokens().access
            let created = try await client.send(
                .post, "/api/v1/auth/users", json: ["username": "rita", "password": "rita-password", "email": "Rita@Example.org"], token: admin)
            #expect(created.status == .created)
            func token() async throws -> String {
                try #require(
                    try await client.send(.post, "/api/v1/auth/forgot-password", json: ["email": "rita@EXAMPLE.org"]).json()["reset_token"]?.stringValue)
            }
            func reset(_ token: String) async throws -> HTTPResponse.Status {
                try await client.send(.post, "/api/v1/auth/reset-password", json: ["token": .string(token), "new_password": "rita-new-password"]).status
            }
            let (first, second) = (try await token(), try await token())
            #expect(first != second)
            #expect(try await reset(second) == .ok, "a later request leaves the earlier token alone")
            #expect(try await reset(first) == .badRequest, "using one withdraws the others")

            let beforeChange = try await token()
            #expect(try await client.send(.patch, "/api/v1/auth/users/rita", json: ["password": "set-by-an-admin"], token: admin).status == .ok)
            #expect(try await reset(beforeChange) == .badRequest, "a password change withdraws outstanding tokens")

            let beforeDisable = try await token()
            #expect(try await client.send(.patch, "/api/v1/auth/users/rita", json: ["disabled": true], token: admin).status == .ok)
            #expect(try await reset(beforeDisable) == .badRequest, "a disabled account is not reset")
            let disabled = try await client.send(.post, "/api/v1/auth/forgot-password", json: ["username": "rita"])
            #expect(disabled.status == .ok)
            #expect(try disabled.json()["reset_token"] == nil)
        }
    }

    @Test func requestsAreValidatedAndLimitedPerName() async throws {
        let harness = try await AuthHarness()
        try await harness.run { client in
            let empty = try await client.send(.post, "/api/v1/auth/forgot-password", json: [:])
            #expect(empty.status == .unprocessableContent)
            let long = try await client.send(.post, "/api/v1/auth/forgot-password", json: ["username": .string(String(repeating: "a", count: 51))])
            #expect(try long.json()["error"]?["details"]?[0]?["field"] == "username")
            // Five per name from one address in fifteen minutes, whether the name exists or not.
            for _ in 0..<5 { #expect(try await client.send(.post, "/api/v1/auth/forgot-password", json: ["username": "ghost"]).status == .ok) }
            let limited = try await client.send(.post, "/api/v1/auth/forgot-password", json: ["username": "ghost"])
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers[.retryAfter] != nil)
            #expect(try await client.send(.post, "/api/v1/auth/forgot-password", json: ["username": "admin"]).status == .ok)
        }
    }
}
