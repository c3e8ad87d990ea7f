import Foundation
import HTTPTypes
import Hummingbird
import Kernel
import OpenAPIRuntime

/// The `/api/v1/auth` operations: the generated `APIProtocol`, so requests and answers are the
/// spec's types; guards, body limits and the error envelope come from the kernel around it.
struct AuthAPI: APIProtocol {
    let users: any UserStore
    let hasher: PasswordHasher
    let issuer: TokenIssuer
    let throttle: LoginThrottle
    let revocations: any RevocationLedger
    let resets: PasswordResets
    let tokens: TokenCodec
    let document: OpenAPIDocument

    func install(on routes: RouterGroup<AppRequestContext>) {
        let router = OperationRouter(
            document: document,
            prefix: ServiceRole.auth.apiPrefix,
            open: routes,
            guarded: [
                "/me": routes.group().add(middleware: AuthGuard.authenticated(tokens)),
                "/me/password": routes.group().add(middleware: AuthGuard.authenticated(tokens)),
                "/revocations": routes.group().add(middleware: AuthGuard.service(tokens)),
                // The token says admin; the account must still be one, and enabled, right now.
                "/users": adminRoutes(routes),
                "/users/{username}": adminRoutes(routes),
            ]
        )
        do {
            try registerHandlers(on: router, configuration: OperationRouter.configuration)
        } catch {
            // The spec's auth paths are all under the prefix; a test registers them on every run.
            preconditionFailure("auth operations could not be registered: \(error)")
        }
    }

    private func adminRoutes(_ routes: RouterGroup<AppRequestContext>) -> RouterGroup<AppRequestContext> {
        routes.group().add(middleware: AuthGuard.admin(tokens)).add(middleware: CurrentAdminCheck(users: users))
    }

    func login(_ input: Operations.Login.Input) async throws -> Operations.Login.Output {
        let body: Components.Schemas.LoginRequest
        switch input.body {
        case .json(let json): body = json
        case .urlEncodedForm(let form): body = form
        }
        try LoginFields.check(username: body.username, password: body.password)
        let scope = try OperationScope.active
        let client = scope.clientAddress
        if case .refused(let wait) = try await throttle.reserve(username: body.username, client: client) {
            throw APIError(
                .tooManyRequests,
                code: "too_many_attempts",
                message: "Too many failed logins for this username from this address; try again in \(wait) s",
                headers: [.retryAfter: String(wait)]
            )
        }
        let accountReadAt = Date()
        let stored = try await users.find(username: body.username)
        // Always run bcrypt, against a decoy hash when the user is unknown, so the response
        // time does not tell which usernames exist.
        let passwordMatches: Bool
        do {
            passwordMatches = try await hasher.verify(body.password, against: stored?.passwordHash)
        } catch let error as APIError where error.status == .serviceUnavailable {
            // Not checked, so not a failure: a client following Retry-After must not lock itself out.
            try await throttle.withdraw(username: body.username, client: client)
            throw error
        }
        guard passwordMatches, let user = stored?.user, !user.disabled else {
            scope.context.logger.notice("login failed", metadata: ["username": "\(body.username.prefix(64))", "client": "\(client)"])
            throw APIError.unauthorized("Incorrect username or password", code: "invalid_credentials")
        }
        try await throttle.succeeded(username: body.username, client: client)
        scope.context.trace.user = user.username
        return .ok(.init(body: .json(.init(try await issuer.issue(for: user, accountReadAt: accountReadAt)))))
    }

    func refresh(_ input: Operations.Refresh.Input) async throws -> Operations.Refresh.Output {
        guard case .json(let body) = input.body else { throw APIError.badRequest("A JSON body is expected") }
        return .ok(.init(body: .json(.init(try await issuer.refresh(body.refreshToken)))))
    }

    /// Signs out the access token in `Authorization`, the refresh token in the body, or both: the
    /// replaced services' clients send only the former, mlopsd's own client the latter.
    func logout(_ input: Operations.Logout.Input) async throws -> Operations.Logout.Output {
        let bearer = try OperationScope.active.bearerToken
        if case .json(let body)? = input.body {
            try await issuer.revoke(body.refreshToken)
        } else if bearer == nil {
            throw APIError.unauthorized("Send the access token as a Bearer token or the refresh token in a JSON body")
        }
        guard let bearer else { return .noContent(.init()) }
        do {
            try await issuer.signOut(try await tokens.verify(bearer, expecting: .access))
        } catch TokenRejection.signedOut {
            // Signing out twice is not an error: the session is over either way.
        } catch let rejection as TokenRejection {
            // An expired access token beside the refresh token is the usual way to sign out; the
            // session ended with the refresh token. Alone, it signs nothing out.
            guard input.body != nil else { throw APIError.unauthorized(rejection.message, code: "invalid_token") }
        }
        return .noContent(.init())
    }

    func forgotPassword(_ input: Operations.ForgotPassword.Input) async throws -> Operations.ForgotPassword.Output {
        guard case .json(let body) = input.body else { throw APIError.badRequest("A JSON body is expected") }
        // The spec's lengths, which the generated code does not check.
        if let username = body.username, !(1...50).contains(username.unicodeScalars.count) {
            throw APIError.validation(field: "username", problem: "must be 1 to 50 characters")
        }
        if let email = body.email, !(3...254).contains(email.unicodeScalars.count) {
            throw APIError.validation(field: "email", problem: "must be 3 to 254 characters")
        }
        guard body.username != nil || body.email != nil else { throw APIError.validation(field: "username", problem: "give username or email") }
        let issued = try await resets.request(
            ResetRequest(username: body.username, email: body.email), client: try OperationScope.active.clientAddress)
        return .ok(
            .init(
                body: .json(
                    .init(
                        message: "If an account matches, a password reset token has been sent to its owner",
                        resetToken: issued.token, expiresIn: Int(resets.lifetime.components.seconds)))))
    }

    func resetPassword(_ input: Operations.ResetPassword.Input) async throws -> Operations.ResetPassword.Output {
        guard case .json(let body) = input.body else { throw APIError.badRequest("A JSON body is expected") }
        guard PasswordRule.isValid(body.newPassword) else {
            throw APIError.validation(field: "new_password", problem: PasswordRule.description)
        }
        guard let user = try await resets.redeem(body.token) else {
            throw APIError(
                .badRequest, code: "invalid_reset_token", message: "The reset token is unknown, expired or already used",
                details: [FieldProblem(field: "token", problem: "is unknown, expired or already used")])
        }
        let hash = try await hasher.hash(body.newPassword)
        guard try await users.update(username: user.username, changes: UserChanges(passwordHash: hash)) != nil else {
            throw APIError(.badRequest, code: "invalid_reset_token", message: "The account of this reset token no longer exists")
        }
        try await endSessions(of: user.username)
        // A password the owner just set must not be locked out by the guesses that preceded it.
        try await throttle.succeeded(username: user.username, client: try OperationScope.active.clientAddress)
        try OperationScope.active.context.logger.notice("password reset", metadata: ["username": "\(user.username)"])
        return .ok(.init(body: .json(.init(message: "The password has been reset; sign in with the new one"))))
    }

    func me(_ input: Operations.Me.Input) async throws -> Operations.Me.Output {
        let identity = try OperationScope.active.requireUser()
        guard let stored = try await users.find(username: identity.username), !stored.user.disabled else {
            throw APIError.unauthorized("The account is disabled or no longer exists", code: "invalid_token")
        }
        return .ok(.init(body: .json(.init(stored.user))))
    }

    func changePassword(_ input: Operations.ChangePassword.Input) async throws -> Operations.ChangePassword.Output {
        guard case .json(let body) = input.body else { throw APIError.badRequest("A JSON body is expected") }
        let scope = try OperationScope.active
        let identity = try scope.requireUser()
        guard PasswordRule.isValid(body.newPassword) else {
            throw APIError.validation(field: "new_password", problem: PasswordRule.description)
        }
        // The current password is guessed like a login: a stolen access token must not become
        // an unlimited password oracle.
        if case .refused(let wait) = try await throttle.reserve(username: identity.username, client: scope.clientAddress) {
            throw APIError(
                .tooManyRequests, code: "too_many_attempts",
                message: "Too many wrong current passwords; try again in \(wait) s", headers: [.retryAfter: String(wait)]
            )
        }
        guard let stored = try await users.find(username: identity.username),
            try await hasher.verify(body.currentPassword, against: stored.passwordHash)
        else {
            throw APIError.validation(field: "current_password", problem: "does not match")
        }
        try await throttle.succeeded(username: identity.username, client: scope.clientAddress)
        _ = try await users.update(username: identity.username, changes: UserChanges(passwordHash: try await hasher.hash(body.newPassword)))
        try await endSessions(of: identity.username)
        return .noContent(.init())
    }

    func listUsers(_ input: Operations.ListUsers.Input) async throws -> Operations.ListUsers.Output {
        // The kernel has checked the range against the spec.
        let page = try await users.list(limit: input.query.limit ?? 50, offset: input.query.offset ?? 0)
        return .ok(.init(body: .json(.init(limit: page.limit, offset: page.offset, total: page.total, users: page.users.map(Components.Schemas.User.init)))))
    }

    func createUser(_ input: Operations.CreateUser.Input) async throws -> Operations.CreateUser.Output {
        guard case .json(let body) = input.body else { throw APIError.badRequest("A JSON body is expected") }
        let role = try NewAccount.validated(body)
        let hash = try await hasher.hash(body.password)
        do {
            let user = try await users.create(username: body.username, fullName: body.fullName, email: body.email, role: role, passwordHash: hash)
            try OperationScope.active.context.logger.info(
                "user created", metadata: ["username": "\(user.username)", "account_role": "\(user.role.rawValue)"])
            return .created(.init(headers: .init(location: "\(ServiceRole.auth.apiPrefix)/users/\(user.username)"), body: .json(.init(user))))
        } catch UserStoreError.duplicateUsername {
            // 400, not 409: clients of the services mlopsd replaces read 400 as "exists, go on".
            throw APIError(
                .badRequest, code: "user_exists", message: "A user named '\(body.username)' already exists",
                details: [FieldProblem(field: "username", problem: "already exists")])
        }
    }

    func showUser(_ input: Operations.ShowUser.Input) async throws -> Operations.ShowUser.Output {
        let username = input.path.username
        guard let stored = try await users.find(username: username) else { throw APIError.notFound("No user named '\(username)'") }
        return .ok(.init(body: .json(.init(stored.user))))
    }

    func updateUser(_ input: Operations.UpdateUser.Input) async throws -> Operations.UpdateUser.Output {
        guard case .json(let body) = input.body else { throw APIError.badRequest("A JSON body is expected") }
        let username = input.path.username
        let change = try AccountChange(body)
        let identity = try OperationScope.active.requireUser()
        if identity.username.lowercased() == username.lowercased(), change.disabled == true || change.role == .user {
            throw APIError(.conflict, code: "self_lockout", message: "Admins cannot disable or demote their own account")
        }
        var changes = UserChanges(email: change.email, fullName: change.fullName, role: change.role, disabled: change.disabled)
        if let password = change.password { changes.passwordHash = try await hasher.hash(password) }
        guard let user = try await users.update(username: username, changes: changes) else {
            throw APIError.notFound("No user named '\(username)'")
        }
        if change.disabled == true || change.password != nil || change.role != nil {
            // Existing sessions must not outlive a lock-out, a reset or a change of role.
            try await endSessions(of: user.username)
        }
        return .ok(.init(body: .json(.init(user))))
    }

    /// Revokes every refresh token of the account and every access token issued until now: here
    /// at once, in other processes at their next look at the ledger.
    func endSessions(of username: String) async throws {
        let now = Date()
        let revocation = Revocation(username: username, at: now)
        try await revocations.record(revocation)
        tokens.revocations.record(revocation)
        try await issuer.refreshTokens.revokeAll(username: username)
        // A reset token sent before the change must not undo it.
        try await resets.issuer.store.withdrawAll(username: username)
    }

    /// `GET /revocations?since=<seconds since 1970>`: what other processes follow.
    func revocations(_ input: Operations.Revocations.Input) async throws -> Operations.Revocations.Output {
        let since = Date(timeIntervalSince1970: input.query.since ?? 0)
        let feed = try await revocations.revocations(since: since)
        return .ok(
            .init(body: .json(.init(revocations: feed.map { .init(revokedAt: $0.at.timeIntervalSince1970, tokenId: $0.tokenID, username: $0.username) }))))
    }
}
