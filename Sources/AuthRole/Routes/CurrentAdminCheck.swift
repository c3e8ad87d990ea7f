import Hummingbird
import Kernel

/// Behind `AuthGuard.admin` on the auth role's own admin routes: the account must still exist, be
/// enabled and be an admin at this moment, whatever the token says. Account administration is
/// where a demoted or disabled admin could undo their own demotion, so it does not wait for the
/// revocation to reach the token check.
struct CurrentAdminCheck: RouterMiddleware {
    typealias Context = AppRequestContext
    let users: any UserStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let identity = try context.requireUser()
        guard let stored = try await users.find(username: identity.username), !stored.user.disabled else {
            throw APIError.unauthorized("The account is disabled or no longer exists", code: "invalid_token")
        }
        guard stored.user.role == .admin else {
            throw APIError.forbidden("This endpoint requires the admin role")
        }
        return try await next(request, context)
    }
}
