import AuthRole
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Kernel
import MLOpsTesting
import Testing

struct AuthHarness {
    let environment: TestEnvironment
    let module: RoleModule

    init(overrides: [String: String] = [:]) async throws {
        environment = try await TestEnvironment(role: .auth, overrides: overrides)
        module = try await AuthRole.module(environment: environment.kernel)
    }

    func run(_ test: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        defer { environment.removeFiles() }
        try await buildApplication(environment: environment.kernel, modules: [module]).test(.router, test)
    }
}

extension TestClientProtocol {
    func login(_ username: String, _ password: String) async throws -> TestResponse {
        try await send(.post, "/api/v1/auth/login", json: ["username": .string(username), "password": .string(password)])
    }

    func loginForm(_ form: String) async throws -> TestResponse {
        try await execute(
            uri: "/api/v1/auth/login", method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: form)
        )
    }

    func adminTokens() async throws -> (access: String, refresh: String) {
        let body = try await login("admin", TestEnvironment.adminPassword).json()
        return (try #require(body["access_token"]?.stringValue), try #require(body["refresh_token"]?.stringValue))
    }
}

@Suite struct LoginTests {
    @Test func jsonAndFormLoginIssueBothTokens() async throws {
        let harness = try await AuthHarness()
        try await harness.run { client in
            let json = try await client.login("admin", TestEnvironment.adminPassword)
            #expect(json.status == .ok)
            let body = try json.json()
            #expect(body["token_type"] == "bearer")
            #expect(body["expires_in"] == 1800)
            let access = try #require(body["access_token"]?.stringValue)
            let claims = try await harness.environment.kernel.tokens.verify(access, expecting: .access)
            #expect(claims.sub.value == "admin")
            #expect(claims.role == .admin)

            let form = try await client.loginForm("grant_type=password&username=admin&password=\(TestEnvironment.adminPassword)&scope=")
            #expect(form.status == .ok)
            #expect(try form.json()["refresh_token"]?.stringValue != nil)

            let wrongGrant = try await client.loginForm("grant_type=client_credentials&username=admin&password=x")
            #expect(wrongGrant.status == .unprocessableContent)
            #expect(try wrongGrant.json()["error"]?["details"] == [["field": "grant_type", "problem": "expected one of password"]])
            // Found by schemathesis: the form decoder's own errors were a 500. Unknown keys are
            // ignored, repeated or not; a repeated field is refused.
            let unknown = try await client.loginForm("a=1&a=2&username=admin&password=x")
            #expect(unknown.status == .unauthorized)
            let repeated = try await client.loginForm("username=admin&username=root&password=x")
            #expect(repeated.status == .unprocessableContent || repeated.status == .badRequest, "\(repeated.status)")
            let missing = try await client.send(.post, "/api/v1/auth/login", json: ["username": "admin"])
            #expect(missing.status == .unprocessableContent)
            #expect(try missing.json()["error"]?["details"] == [["field": "password", "problem": "field required"]])
        }
    }

    /// The generated operations answer bad bodies and queries as the kernel's own routes do: the
    /// envelope, the right status, the field named.
    @Test func generatedOperationsRefuseBadInputLikeTheKernel() async throws {
        let harness = try await AuthHarness()
        try await harness.run { client in
            func post(_ body: String, contentType: String?) async throws -> TestResponse {
                var headers: HTTPFields = [:]
                if let contentType { headers[.contentType] = contentType }
                return try await client.execute(uri: "/api/v1/auth/login", method: .post, headers: headers, body: ByteBuffer(string: body))
            }
            let login = #"{"username": "admin", "password": "x"}"#
            let cases: [(body: String, contentType: String?, status: HTTPResponse.Status, code: String)] = [
                (login, "text/plain", .unsupportedMediaType, "unsupported_media_type"),
                (login, nil, .unsupportedMediaType, "unsupported_media_type"),
                (#"{"username": "#, "application/json", .badRequest, "malformed_json"),
                (#"{"username": "admin\u0000", "password": "x"}"#, "application/json", .unprocessableContent, "validation_failed"),
                (#"{"username": 7, "password": "x"}"#, "application/json", .unprocessableContent, "validation_failed"),
                (String(repeating: " ", count: (1 << 20) + 1) + login, "application/json", .contentTooLarge, "payload_too_large"),
            ]
            for (body, contentType, status, code) in cases {
                let response = try await post(body, contentType: contentType)
                #expect(response.status == status, "\(body.prefix(40)) as \(contentType ?? "no type")")
                #expect(try response.json()["error"]?["code"]?.stringValue == code, "\(body.prefix(40))")
            }
            let admin = try await client.adminTokens().access
            let page = try await client.send(.get, "/api/v1/auth/users?limit=0&offset=x", token: admin)
            #expect(page.status == .unprocessableContent)
            #expect(
                try page.json()["error"]?["details"] == [
                    ["field": "limit", "problem": "expected a whole number from 1 to 200"], ["field": "offset", "problem": "expected a whole number ≥ 0"],
                ])
            #expect(try page.json()["detail"]?[0]?["loc"] == ["query", "limit"])
        }
    }

    @Test func refreshesPerAccountAreLimited() async throws {
        let harness = try await AuthHarness(overrides: ["MLOPSD_REFRESH_MAX_PER_WINDOW": "2", "MLOPSD_REFRESH_WINDOW_SECONDS": "60"])
        try await harness.run { client in
            var refresh = try await client.adminTokens().refresh
            for _ in 0..<2 {
                let renewed = try await client.send(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(refresh)])
                #expect(renewed.status == .ok)
                refresh = try #require(try renewed.json()["refresh_token"]?.stringValue)
            }
            let refused = try await client.send(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(refresh)])
            #expect(refused.status == .tooManyRequests)
            #expect(try refused.json()["error"]?["code"] == "too_many_refreshes")
            #expect(refused.headers[.retryAfter].flatMap { Int($0) }.map { (1...60).contains($0) } == true)
            // Refused before rotating: the token still works once the window has room again.
            let forged = try await client.send(.post, "/api/v1/auth/refresh", json: ["refresh_token": "not-a-token"])
            #expect(forged.status == .unauthorized, "an invalid token is not counted against anyone")
        }
    }

    /// A malformed name or an over-long password is refused as input, before any password check
    /// (so it never counts towards the lock-out).
    @Test func malformedLoginFieldsAre422() async throws {
        let harness = try await AuthHarness()
        try await harness.run { client in
            for (username, password, field) in [
                ("ab", "password", "username"), (String(repeating: "a", count: 51), "password", "username"), (" admin", "password", "username"),
                ("admin ", "password", "username"), ("admin", String(repeating: "p", count: 73), "password"),
            ] {
                let response = try await client.login(username, password)
                #expect(response.status == .unprocessableContent, "\(username.prefix(10))")
                #expect(try response.json()["error"]?["details"]?[0]?["field"]?.stringValue == field)
            }
            #expect(try await client.login("admin", TestEnvironment.adminPassword).status == .ok)
        }
    }

    @Test func unknownUserAndWrongPasswordLookTheSame() async throws {
        let harness = try await AuthHarness()
        try await harness.run { client in
            let wrong = try await client.login("admin", "not-the-password")
            let unknown = try await client.login("nobody", "not-the-password")
            #expect(wrong.status == .unauthorized)
            #expect(unknown.status == wrong.status)
            #expect(String(buffer: unknown.body) == String(buffer: wrong.body))
            #expect(wrong.headers[.wwwAuthenticate] == unknown.headers[.wwwAuthenticate])
            #expect(wrong.errorCode == "invalid_credentials")
        }
    }

    @Test func repeatedFailuresAreThrottledPerUsername() async throws {
        let harness = try await AuthHarness(overrides: ["MLOPSD_LOGIN_MAX_FAILURES": "3", "MLOPSD_LOGIN_LOCKOUT_SECONDS": "60"])
        try await harness.run { client in
            for _ in 0..<3 { #expect(try await client.login("admin", "wrong-password").status == .unauthorized) }
            let throttled = try await client.login("admin", TestEnvironment.adminPassword)
            #expect(throttled.status == .tooManyRequests)
            #expect(throttled.errorCode == "too_many_attempts")
            let retryAfter = try #require(throttled.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...60).contains(retryAfter))
            // Other names are unaffected; unknown names are throttled just the same.
            #expect(try await client.login("someone", "x").status == .unauthorized)
        }
    }

    /// Wrong passwords sent all at once: each is counted before bcrypt runs, so no more than
    /// the limit are even checked.
    @Test func parallelFailuresCannotOutrunTheLimit() async throws {
        let harness = try await AuthHarness(overrides: ["MLOPSD_LOGIN_MAX_FAILURES": "3", "MLOPSD_LOGIN_LOCKOUT_SECONDS": "60"])
        try await harness.run { client in
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<12 {
                    group.addTask { try await client.login("admin", "wrong-password").status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .unauthorized }.count == 3, "\(statuses)")
            #expect(statuses.filter { $0 == .tooManyRequests }.count == 9, "\(statuses)")
        }
    }
}

@Suite struct TokenLifecycleTests {
    @Test func refreshRotatesAndDetectsReuse() async throws {
        let harness = try await AuthHarness()
        try await harness.run { client in
            let first = try await client.adminTokens()
            let rotated = try await client.send(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(first.refresh)])
            #expect(rotated.status == .ok)
            let second = try #require(try rotated.json()["refresh_token"]?.stringValue)
            #expect(second != first.refresh)

            // The spent token is refused, and presenting it revokes the whole family…
            let replay = try await client.send(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(first.refresh)])
            #expect(replay.status == .unauthorized)
            #expect(replay.errorCode == "invalid_token")
            // …including the successor the legitimate client holds.
            let successor = try await client.send(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(second)])
            #expect(successor.status == .unauthorized)
        }
    }

    @Test func tokenTypesAreNotInterchangeable() async throws {
        let harness = try await AuthHarness()
        try await harness.run { client in
            let tokens = try await client.adminTokens()
            let refreshAsAccess = try await client.send(.get, "/api/v1/auth/me", token: tokens.refresh)
            #expect(refreshAsAccess.status == .unauthorized)
            let accessAsRefresh = try await client.send(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(tokens.access)])
            #expect(accessAsRefresh.status == .unauthorized)
        }
    }

    @Test func expiredAndForgedTokensAreRefused() async throws {
        let harness = try await AuthHarness()
        try await harness.run { client in
            let expired = try await harness.environment.token(
                for: "admin", role: .admin, issuedAt: Date().addingTimeInterval(-7200), lifetime: .seconds(60)
            )
            let response = try await client.send(.get, "/api/v1/auth/me", token: expired)
            #expect(response.status == .unauthorized)
            #expect(try response.json()["error"]?["message"] == "Token has expired")

            let forger = await TokenCodec(secret: String(repeating: "f", count: 48))
            let forged = try await forger.sign(
                TokenClaims(subject: "admin", role: .admin, type: .access, issuedAt: Date(), lifetime: .seconds(60), id: "x")
            )
            #expect(try await client.send(.get, "/api/v1/auth/users", token: forged).status == .unauthorized)
        }
    }

    @Test func logoutRevokesTheSession() async throws {
        let harness = try await AuthHarness()
        try await harness.run { client in
            let tokens = try await client.adminTokens()
            let other = try await client.adminTokens()
            let logout = try await client.send(.post, "/api/v1/auth/logout", json: ["refresh_token": .string(tokens.refresh)])
            #expect(logout.status == .noContent)
            #expect(try await client.send(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(tokens.refresh)]).status == .unauthorized)
            // Another login's session lives on.
            #expect(try await client.send(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(other.refresh)]).status == .ok)
        }
    }
}

extension TokenLifecycleTests {
    /// The replaced services' clients sign out with only the access token: that token stops
    /// working at once, and so do the refresh tokens of its login.
    @Test func logoutWithOnlyTheAccessToken() async throws {
        let harness = try await AuthHarness()
        try await harness.run { client in
            let tokens = try await client.adminTokens()
            let other = try await client.adminTokens()
            #expect(try await client.send(.post, "/api/v1/auth/logout", token: tokens.access).status == .noContent)
            let refused = try await client.send(.get, "/api/v1/auth/me", token: tokens.access)
            #expect(refused.status == .unauthorized)
            #expect(try refused.json()["error"]?["message"] == "Token was signed out; sign in again")
            #expect(try await client.send(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(tokens.refresh)]).status == .unauthorized)
            // Signing out twice is not an error; another login's tokens live on.
            #expect(try await client.send(.post, "/api/v1/auth/logout", token: tokens.access).status == .noContent)
            #expect(try await client.send(.get, "/api/v1/auth/me", token: other.access).status == .ok)
            #expect(try await client.send(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(other.refresh)]).status == .ok)
            // An expired access token beside a live refresh token: the refresh token is revoked.
            let third = try await client.adminTokens()
            let expired = try await harness.environment.token(
                for: "admin", role: .admin, issuedAt: Date().addingTimeInterval(-7200), lifetime: .seconds(60))
            let withExpired = try await client.send(
                .post, "/api/v1/auth/logout", json: ["refresh_token": .string(third.refresh)], token: expired)
            #expect(withExpired.status == .noContent)
            #expect(try await client.send(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(third.refresh)]).status == .unauthorized)
            // Neither token: nothing to sign out.
            let anonymous = try await client.send(.post, "/api/v1/auth/logout")
            #expect(anonymous.status == .unauthorized)
            #expect(try await client.send(.post, "/api/v1/auth/logout", token: "not-a-token").status == .unauthorized)
        }
    }
}

@Suite struct UserAdminTests {
    @Test func accountsCarryTheirIdAndFullName() async throws {
        let harness = try await AuthHarness()
        try await harness.run { client in
            let admin = try await client.adminTokens().access
            let created = try await client.send(
                .post, "/api/v1/auth/users",
                json: ["username": "ada", "password": "ada-password", "email": "ada@example.org", "full_name": "Ada Lovelace"], token: admin)
            #expect(created.status == .created)
            #expect(try created.json()["full_name"] == "Ada Lovelace")
            let id = try #require(try created.json()["id"]?.intValue)
            let renamed = try await client.send(.patch, "/api/v1/auth/users/ada", json: ["full_name": "Augusta Ada King"], token: admin)
            #expect(try renamed.json()["full_name"] == "Augusta Ada King")
            #expect(try renamed.json()["id"]?.intValue == id)
            // Found by schemathesis: the spec's length limit is the server's too.
            let tooLong = try await client.send(
                .patch, "/api/v1/auth/users/ada", json: ["full_name": .string(String(repeating: "*", count: 201))], token: admin)
            #expect(tooLong.status == .unprocessableContent)
            #expect(try tooLong.json()["error"]?["details"]?[0]?["field"] == "full_name")
            let listed = try await client.send(.get, "/api/v1/auth/users", token: admin)
            #expect(try listed.json()["users"]?[0]?["full_name"] == nil, "the seeded admin has none")
        }
    }

    @Test func adminsManageUsersAndUsersCannot() async throws {
        let harness = try await AuthHarness()
        try await harness.run { client in
            let admin = try await client.adminTokens().access
            let created = try await client.send(
                .post, "/api/v1/auth/users",
                json: ["username": "alice", "password": "alice-password", "email": "alice@example.org", "role": "user"], token: admin
            )
            #expect(created.status == .created)
            #expect(created.headers[.location] == "/api/v1/auth/users/alice")
            #expect(try created.json()["role"] == "user")
            #expect(try created.json()["password_hash"] == nil)

            let duplicate = try await client.send(
                .post, "/api/v1/auth/users",
                json: ["username": "ALICE", "password": "another-password", "email": "a2@example.org"], token: admin
            )
            #expect(duplicate.status == .badRequest, "clients of the replaced services read 400 as exists")
            #expect(try duplicate.json()["error"]?["code"] == "user_exists")

            // A value of the wrong type or outside an enumeration is refused as the body is read…
            let unknownRole = try await client.send(
                .post, "/api/v1/auth/users", json: ["username": "bob", "password": "bob-password", "email": "bob@example.org", "role": "root"], token: admin
            )
            #expect(unknownRole.status == .unprocessableContent)
            #expect(try unknownRole.json()["error"]?["details"] == [["field": "role", "problem": "expected one of admin, user"]])
            // …and every rule beyond the types is checked at once, each field at fault named.
            let invalid = try await client.send(
                .post, "/api/v1/auth/users", json: ["username": "a b", "password": "short", "email": "nope", "role": "user"], token: admin
            )
            #expect(invalid.status == .unprocessableContent)
            let fields = try invalid.json()["error"]?["details"]
            #expect(
                fields == [
                    ["field": "username", "problem": .string(UsernameRule.description)],
                    ["field": "password", "problem": .string(PasswordRule.description)],
                    ["field": "email", "problem": "expected an address like name@example.org"],
                ])

            let alice = try #require(try await client.login("alice", "alice-password").json()["access_token"]?.stringValue)
            let me = try await client.send(.get, "/api/v1/auth/me", token: alice)
            #expect(try me.json()["username"] == "alice")
            #expect(try me.json()["email"] == "alice@example.org")
            let forbidden = try await client.send(.get, "/api/v1/auth/users", token: alice)
            #expect(forbidden.status == .forbidden)
            #expect(forbidden.errorCode == "forbidden")
            #expect(try await client.send(.post, "/api/v1/auth/users", json: [:], token: alice).status == .forbidden)

            let list = try await client.send(.get, "/api/v1/auth/users?limit=1", token: admin)
            #expect(try list.json()["total"] == 2)
            #expect(try list.json()["users"]?.arrayCount == 1)
        }
    }

    @Test func disablingAUserEndsTheirSessions() async throws {
        let harness = try await AuthHarness()
        try await harness.run { client in
            let admin = try await client.adminTokens().access
            _ = try await client.send(
                .post, "/api/v1/auth/users", json: ["username": "bob", "password": "bob-password", "email": "bob@example.org"], token: admin
            )
            let bob = try await client.login("bob", "bob-password").json()
            let disabled = try await client.send(.patch, "/api/v1/auth/users/bob", json: ["disabled": true], token: admin)
            #expect(try disabled.json()["disabled"] == true)
            #expect(try await client.login("bob", "bob-password").status == .unauthorized)
            let refresh = try #require(bob["refresh_token"]?.stringValue)
            #expect(try await client.send(.post, "/api/v1/auth/refresh", json: ["refresh_token": .string(refresh)]).status == .unauthorized)
            let selfLockout = try await client.send(.patch, "/api/v1/auth/users/admin", json: ["disabled": true], token: admin)
            #expect(selfLockout.status == .conflict)
            #expect(try await client.send(.patch, "/api/v1/auth/users/ghost", json: ["disabled": true], token: admin).status == .notFound)
        }
    }

    /// The access token a disabled or demoted admin holds stops working at once: no window to
    /// re-enable or re-promote themselves.
    @Test func disabledOrDemotedAdminsLoseTheirAccessTokensAtOnce() async throws {
        let harness = try await AuthHarness()
        try await harness.run { client in
            let admin = try await client.adminTokens().access
            for name in ["bob", "carol"] {
                let created = try await client.send(
                    .post, "/api/v1/auth/users",
                    json: ["username": .string(name), "password": .string("\(name)-password"), "email": .string("\(name)@example.org"), "role": "admin"],
                    token: admin
                )
                #expect(created.status == .created)
            }
            let bob = try #require(try await client.login("bob", "bob-password").json()["access_token"]?.stringValue)
            let carol = try #require(try await client.login("carol", "carol-password").json()["access_token"]?.stringValue)
            #expect(try await client.send(.get, "/api/v1/auth/users", token: bob).status == .ok)

            #expect(try await client.send(.patch, "/api/v1/auth/users/bob", json: ["disabled": true], token: admin).status == .ok)
            let undo = try await client.send(.patch, "/api/v1/auth/users/bob", json: ["disabled": false], token: bob)
            #expect(undo.status == .unauthorized)
            #expect(try await client.send(.get, "/api/v1/auth/me", token: bob).status == .unauthorized)

            #expect(try await client.send(.patch, "/api/v1/auth/users/carol", json: ["role": "user"], token: admin).status == .ok)
            let repromote = try await client.send(.patch, "/api/v1/auth/users/carol", json: ["role": "admin"], token: carol)
            #expect(repromote.status == .unauthorized)
            // Signing in again gives carol what she now is: a user.
            let fresh = try #require(try await client.login("carol", "carol-password").json()["access_token"]?.stringValue)
            #expect(try await client.send(.get, "/api/v1/auth/me", token: fresh).status == .ok)
            #expect(try await client.send(.get, "/api/v1/auth/users", token: fresh).status == .forbidden)
            #expect(try await client.send(.get, "/api/v1/auth/users", token: admin).status == .ok, "the acting admin is untouched")
        }
    }

    @Test func aPasswordChangeEndsEverySessionAndRevocationsSurviveARestart() async throws {
        let environment = try await TestEnvironment(role: .auth)
        defer { environment.removeFiles() }
        let module = try await AuthRole.module(environment: environment.kernel)
        let old = try await buildApplication(environment: environment.kernel, modules: [module]).test(.router) {
            (client: any TestClientProtocol) async throws -> String in
            let old = try await client.adminTokens().access
            let changed = try await client.send(
                .post, "/api/v1/auth/me/password",
                json: ["current_password": .string(TestEnvironment.adminPassword), "new_password": "a-brand-new-password"], token: old
            )
            #expect(changed.status == .noContent)
            #expect(try await client.send(.get, "/api/v1/auth/me", token: old).status == .unauthorized)
            return old
        }
        // A new process (a codec that never saw the revocation) reads it back from the ledger.
        let restarted = KernelEnvironment(
            settings: environment.settings, logger: environment.kernel.logger, tokens: await TokenCodec(secret: TestEnvironment.secret)
        )
        let again = try await AuthRole.module(environment: restarted)
        try await buildApplication(environment: restarted, modules: [again]).test(.router) { (client: any TestClientProtocol) async throws in
            let me = try await client.send(.get, "/api/v1/auth/me", token: old)
            #expect(me.status == .unauthorized)
            let login = try await client.login("admin", "a-brand-new-password")
            #expect(login.status == .ok)
        }
    }

    /// Refresh-token rotations and revocations must survive a power cut: every commit is synced.
    /// A NUL character anywhere a value comes from is a 422 naming where, before any store
    /// sees it (PostgreSQL text cannot hold one).
    @Test func nulCharactersAreRefusedWithTheirField() async throws {
        let harness = try await AuthHarness()
        try await harness.run { client in
            let query = try await client.send(.get, "/api/v1/auth/users?limit=5&name=a%00b")
            #expect(query.status == .unprocessableContent)
            #expect(try query.json()["error"]?["details"]?[0]?["field"] == "name")
            let form = try await client.loginForm("%zz&username=a%00b&password=x")
            #expect(form.status == .unprocessableContent, "\(String(buffer: form.body))")
            let json = try await client.send(.post, "/api/v1/auth/login", json: ["username": "a\u{0}b", "password": "x"])
            #expect(json.status == .unprocessableContent, "\(String(buffer: json.body))")
        }
    }

    /// A stolen access token is no unlimited oracle for the current password.
    @Test func wrongCurrentPasswordsAreThrottled() async throws {
        let harness = try await AuthHarness(overrides: ["MLOPSD_LOGIN_MAX_FAILURES": "3"])
        try await harness.run { client in
            let admin = try await client.adminTokens().access
            for _ in 0..<3 {
                let wrong = try await client.send(
                    .post, "/api/v1/auth/me/password", json: ["current_password": "guess", "new_password": "another-password-1"], token: admin
                )
                #expect(wrong.status == .unprocessableContent)
            }
            let throttled = try await client.send(
                .post, "/api/v1/auth/me/password",
                json: ["current_password": .string(TestEnvironment.adminPassword), "new_password": "another-password-1"], token: admin
            )
            #expect(throttled.status == .tooManyRequests)
            #expect(throttled.headers[.retryAfter] != nil)
        }
    }

    @Test func theAuthDatabaseSyncsEveryCommit() async throws {
        let harness = try await AuthHarness()
        defer { harness.environment.removeFiles() }
        let database = try #require(harness.module.databases.first)
        #expect(try await database.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") } == 2, "2 is FULL")
    }

    @Test func changedPasswordSurvivesARestart() async throws {
        let environment = try await TestEnvironment(role: .auth)
        defer { environment.removeFiles() }
        let first = try await AuthRole.module(environment: environment.kernel)
        try await buildApplication(environment: environment.kernel, modules: [first]).test(.router) { client in
            let admin = try await client.adminTokens().access
            let changed = try await client.send(
                .post, "/api/v1/auth/me/password",
                json: ["current_password": .string(TestEnvironment.adminPassword), "new_password": "a-brand-new-password"], token: admin
            )
            #expect(changed.status == .noContent)
        }
        // A restart with the same ADMIN_PASSWORD must not reset the account.
        let second = try await AuthRole.module(environment: environment.kernel)
        try await buildApplication(environment: environment.kernel, modules: [second]).test(.router) { client in
            let old = try await client.login("admin", TestEnvironment.adminPassword)
            let new = try await client.login("admin", "a-brand-new-password")
            #expect(old.status == .unauthorized)
            #expect(new.status == .ok)
        }
    }
}

@Suite struct AuthOpenAPITests {
    /// Every route the running application registers must be documented, and nothing else.
    @Test func documentMatchesTheRouter() async throws {
        let harness = try await AuthHarness()
        defer { harness.environment.removeFiles() }
        let coverage = OpenAPICoverage(module: harness.module, environment: harness.environment.kernel)
        #expect(!coverage.registered.isEmpty)
        #expect(coverage.undocumented.isEmpty, "routes missing from the OpenAPI document: \(coverage.undocumented)")
        #expect(coverage.phantom.isEmpty, "documented routes that do not exist: \(coverage.phantom)")
        #expect(coverage.document["openapi"] == "3.1.0")
    }

    @Test func servedByTheRunningService() async throws {
        let harness = try await AuthHarness()
        try await harness.run { client in
            let response = try await client.send(.get, "/api/v1/auth/openapi.json")
            #expect(response.status == .ok)
            #expect(try response.json()["paths"]?["/api/v1/auth/login"]?["post"] != nil)
        }
    }
}
