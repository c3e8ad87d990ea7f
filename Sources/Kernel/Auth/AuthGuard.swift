import Hummingbird
import HummingbirdAuth

/// Route guard for every role: a valid access token is required, and `minimumRole: .admin`
/// also requires the admin role (401 for a missing or bad token, 403 for the wrong role).
public struct AuthGuard: RouterMiddleware {
    public typealias Context = AppRequestContext
    let codec: TokenCodec
    let requiredRole: UserRole?
    var tokenType: TokenType = .access

    /// Any authenticated user (FastAPI clients know it as `AuthenticatedUser`).
    public static func authenticated(_ codec: TokenCodec) -> AuthGuard { AuthGuard(codec: codec, requiredRole: nil) }
    /// Admins only (`AdminUser`).
    public static func admin(_ codec: TokenCodec) -> AuthGuard { AuthGuard(codec: codec, requiredRole: .admin) }
    /// Other mlopsd processes only: a short-lived service token signed with the shared secret.
    public static func service(_ codec: TokenCodec) -> AuthGuard { AuthGuard(codec: codec, requiredRole: nil, tokenType: .service) }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let bearer = request.headers.bearer else {
            throw APIError.unauthorized("Missing bearer token")
        }
        let claims: TokenClaims
        do {
            claims = try await codec.verify(bearer.token, expecting: tokenType)
        } catch {
            throw APIError.unauthorized(error.message, code: "invalid_token")
        }
        let user = AuthenticatedUser(username: claims.sub.value, role: claims.role, tokenID: claims.jti.value)
        context.trace.user = user.username
        if let requiredRole, user.role != requiredRole {
            throw APIError.forbidden("This endpoint requires the \(requiredRole.rawValue) role")
        }
        var context = context
        context.identity = user
        context.logger[metadataKey: "user"] = .string(user.username)
        return try await next(request, context)
    }
}
