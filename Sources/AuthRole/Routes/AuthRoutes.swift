import Foundation
import Hummingbird
import Kernel

/// The `/api/v1/auth` endpoints.
struct AuthRoutes: Sendable {
    let users: any UserStore
    let hasher: PasswordHasher
    let issuer: TokenIssuer
    let throttle: LoginThrottle
    let revocations: any RevocationLedger
    let tokens: TokenCodec

    func install(on routes: RouterGroup<AppRequestContext>) {
        routes.post("login", use: login)
        routes.post("refresh", use: refresh)
        routes.post("logout", use: logout)

        let signedIn = routes.group().add(middleware: AuthGuard.authenticated(tokens))
        signedIn.get("me", use: me)
        signedIn.post("me/password", use: changePassword)

        routes.group("revocations").add(middleware: AuthGuard.service(tokens)).get(use: revocationFeed)

        // The token says admin; the account must still be one, and enabled, right now.
        let admin = routes.group("users").add(middleware: AuthGuard.admin(tokens)).add(middleware: CurrentAdminCheck(users: users))
        admin.get(use: listUsers)
        admin.post(use: createUser)
        admin.get("{username}", use: showUser)
        admin.patch("{username}", use: updateUser)
    }

    @Sendable func login(request: Request, context: AppRequestContext) async throws -> TokenPair {
        let body = try await request.decodeJSONOrForm(LoginRequest.self, context: context)
        if let grant = body.grantType, grant != "password" {
            throw APIError.badRequest("Only grant_type=password is supported", code: "unsupported_grant_type")
        }
        let client = context.clientAddress(of: request)
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
            context.logger.notice(
                "login failed", metadata: ["username": "\(body.username.prefix(64))", "client": "\(client)"]
            )
            throw APIError.unauthorized("Incorrect username or password", code: "invalid_credentials")
        }
        try await throttle.succeeded(username: body.username, client: client)
        context.trace.user = user.username
        return try await issuer.issue(for: user, accountReadAt: accountReadAt)
    }

    @Sendable func refresh(request: Request, context: AppRequestContext) async throws -> TokenPair {
        let body = try await request.decodeJSONOrForm(RefreshRequest.self, context: context)
        return try await issuer.refresh(body.refreshToken)
    }

    @Sendable func logout(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let body = try await request.decodeJSONOrForm(RefreshRequest.self, context: context)
        try await issuer.revoke(body.refreshToken)
        return .noContent
    }

    @Sendable func me(request: Request, context: AppRequestContext) async throws -> User {
        let identity = try context.requireUser()
        guard let stored = try await users.find(username: identity.username), !stored.user.disabled else {
            throw APIError.unauthorized("The account is disabled or no longer exists", code: "invalid_token")
        }
        return stored.user
    }

    @Sendable func changePassword(request: Request, context: AppRequestContext) async throws -> HTTPResponse.Status {
        let identity = try context.requireUser()
        let body = try await request.decodeJSON(ChangePasswordRequest.self, context: context)
        guard PasswordRule.isValid(body.newPassword) else {
            throw APIError.validation(field: "new_password", problem: PasswordRule.description)
        }
        // The current password is guessed like a login: a stolen access token must not become
        // an unlimited password oracle.
        let client = context.clientAddress(of: request)
        if case .refused(let wait) = try await throttle.reserve(username: identity.username, client: client) {
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
        try await throttle.succeeded(username: identity.username, client: client)
        _ = try await users.update(username: identity.username, changes: UserChanges(passwordHash: try await hasher.hash(body.newPassword)))
        try await endSessions(of: identity.username)
        return .noContent
    }

    @Sendable func listUsers(request: Request, context: AppRequestContext) async throws -> UserPage {
        let page = try PageRequest(request)
        return try await users.list(limit: page.limit, offset: page.offset)
    }

    @Sendable func createUser(request: Request, context: AppRequestContext) async throws -> Response {
        let input = try await request.decodeJSON(CreateUserRequest.self, context: context).validated()
        let hash = try await hasher.hash(input.password)
        do {
            let user = try await users.create(username: input.username, email: input.email, role: input.role, passwordHash: hash)
            context.logger.info("user created", metadata: ["username": "\(user.username)", "account_role": "\(user.role.rawValue)"])
            var response = try user.response(from: request, context: context)
            response.status = .created
            response.headers[.location] = "\(ServiceRole.auth.apiPrefix)/users/\(user.username)"
            return response
        } catch UserStoreError.duplicateUsername {
            throw APIError.conflict("A user named '\(input.username)' already exists")
        }
    }

    @Sendable func showUser(request: Request, context: AppRequestContext) async throws -> User {
        let username = try context.parameters.require("username")
        guard let stored = try await users.find(username: username) else { throw APIError.notFound("No user named '\(username)'") }
        return stored.user
    }

    @Sendable func updateUser(request: Request, context: AppRequestContext) async throws -> User {
        let username = try context.parameters.require("username")
        let body = try await request.decodeJSON(UpdateUserRequest.self, context: context)
        let problems = body.problems()
        guard problems.isEmpty else { throw APIError.validation(problems) }
        let identity = try context.requireUser()
        if identity.username.lowercased() == username.lowercased(), body.disabled == true || body.role == UserRole.user.rawValue {
            throw APIError(.conflict, code: "self_lockout", message: "Admins cannot disable or demote their own account")
        }
        var changes = UserChanges(email: body.email, role: body.role.flatMap(UserRole.init(rawValue:)), disabled: body.disabled)
        if let password = body.password { changes.passwordHash = try await hasher.hash(password) }
        guard let user = try await users.update(username: username, changes: changes) else {
            throw APIError.notFound("No user named '\(username)'")
        }
        if body.disabled == true || body.password != nil || body.role != nil {
            // Existing sessions must not outlive a lock-out, a reset or a change of role.
            try await endSessions(of: user.username)
        }
        return user
    }

    /// Revokes every refresh token of the account and every access token issued until now: here
    /// at once, in other processes at their next look at the ledger.
    func endSessions(of username: String) async throws {
        let now = Date()
        try await revocations.record(Revocation(username: username, at: now))
        tokens.revocations.record(username, at: now)
        try await issuer.refreshTokens.revokeAll(username: username)
    }

    /// `GET /revocations?since=<seconds since 1970>`: what other processes follow.
    @Sendable func revocationFeed(request: Request, context: AppRequestContext) async throws -> RevocationFeed {
        let since =
            try request.uri.queryParameters["since"].map { text -> Date in
                guard let seconds = Double(String(text)), seconds.isFinite else {
                    throw APIError.validation(field: "since", problem: "expected seconds since 1970")
                }
                return Date(timeIntervalSince1970: seconds)
            } ?? Date(timeIntervalSince1970: 0)
        return RevocationFeed(revocations: try await revocations.revocations(since: since))
    }
}
