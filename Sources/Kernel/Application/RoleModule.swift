import Hummingbird
import ServiceLifecycle

/// One role as the executable sees it: its routes, its background services, what readiness
/// checks, and its part of the OpenAPI document. Roles never import each other.
public struct RoleModule: Sendable {
    public typealias RouteInstaller = @Sendable (RouterGroup<AppRequestContext>) -> Void
    /// A readiness condition beyond the databases (a loaded model…): nil when ready, else why not.
    public typealias ReadinessCheck = @Sendable () async -> FieldProblem?

    public let role: ServiceRole
    public let summary: String
    public let databases: [AppDatabase]
    public let jobRunner: JobRunner?
    public let services: [any Service]
    /// OpenAPI `paths` entries with paths relative to the role prefix (`/login`, not `/api/v1/auth/login`).
    public let openAPIPaths: JSONValue
    public let openAPIComponents: JSONValue
    public let readinessChecks: [ReadinessCheck]
    let installRoutes: RouteInstaller

    public init(
        role: ServiceRole,
        summary: String,
        databases: [AppDatabase] = [],
        jobRunner: JobRunner? = nil,
        services: [any Service] = [],
        openAPIPaths: JSONValue = .object([:]),
        openAPIComponents: JSONValue = .object([:]),
        readinessChecks: [ReadinessCheck] = [],
        installRoutes: @escaping RouteInstaller
    ) {
        self.role = role
        self.summary = summary
        self.databases = databases
        self.jobRunner = jobRunner
        self.services = services + (jobRunner.map { [$0] } ?? [])
        self.openAPIPaths = openAPIPaths
        self.openAPIComponents = openAPIComponents
        self.readinessChecks = readinessChecks
        self.installRoutes = installRoutes
    }
}
