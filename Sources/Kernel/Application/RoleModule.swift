import Hummingbird
import ServiceLifecycle

/// One role as the executable sees it: its routes, its background services, what readiness
/// checks, and the OpenAPI document it serves. Roles never import each other.
public struct RoleModule: Sendable {
    public typealias RouteInstaller = @Sendable (RouterGroup<AppRequestContext>) -> Void
    /// A readiness condition beyond the databases (a loaded model…): nil when ready, else why not.
    public typealias ReadinessCheck = @Sendable () async -> FieldProblem?

    public let role: ServiceRole
    public let databases: [AppDatabase]
    public let jobRunner: JobRunner?
    public let services: [any Service]
    /// Served at `<prefix>/openapi.json`; it lists every route the role registers (a test holds them equal).
    public let openAPIDocument: OpenAPIDocument?
    public let readinessChecks: [ReadinessCheck]
    let installRoutes: RouteInstaller

    public init(
        role: ServiceRole,
        databases: [AppDatabase] = [],
        jobRunner: JobRunner? = nil,
        services: [any Service] = [],
        openAPIDocument: OpenAPIDocument? = nil,
        readinessChecks: [ReadinessCheck] = [],
        installRoutes: @escaping RouteInstaller
    ) {
        self.role = role
        self.databases = databases
        self.jobRunner = jobRunner
        self.services = services + (jobRunner.map { [$0] } ?? [])
        self.openAPIDocument = openAPIDocument
        self.readinessChecks = readinessChecks
        self.installRoutes = installRoutes
    }
}
