import Foundation
import Hummingbird
import Logging
import Prometheus

/// Assembles the HTTP application for the given role modules on top of the kernel:
/// middleware, kernel endpoints, each role's routes, and their background services.
public func buildApplication(
    environment: KernelEnvironment,
    modules: [RoleModule],
    site: RoleModule.RouteInstaller? = nil
) -> some ApplicationProtocol {
    let settings = environment.settings
    return Application(
        router: buildRouter(environment: environment, modules: modules, site: site).router,
        // Idle connections outlive nginx's upstream keepalive (60 s), so nginx, not the role,
        // closes them: a role closing first races a request nginx is sending on that connection.
        server: .http1(configuration: .init(additionalChannelHandlers: [ExpectContinueHandler()], idleTimeout: .seconds(75))),
        configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "mlopsd"),
        services: modules.flatMap(\.services) + (environment.revocationFollower().map { [$0] } ?? []),
        logger: environment.logger
    )
}

/// The router with every kernel and role route, and the catalog of what was registered.
/// `site` adds routes at the root, outside every role's prefix (the dashboard).
public func buildRouter(
    environment: KernelEnvironment,
    modules: [RoleModule],
    site: RoleModule.RouteInstaller? = nil
) -> (router: Router<AppRequestContext>, catalog: RouteCatalog) {
    let settings = environment.settings
    let router = Router(context: AppRequestContext.self)
    let catalog = RouteCatalog()
    let routes = CatalogingRouter(router: router, catalog: catalog)
    let httpMetrics = HTTPMetrics(registry: environment.metrics)
    let startedAt = ContinuousClock.now
    let processRole = settings.role

    // Outermost first: the request id exists before anything logs; the access log and metrics
    // see the final status because errors become responses just below them.
    router.add(middleware: RequestIDMiddleware())
    router.add(middleware: AccessLogMiddleware())
    router.add(middleware: MetricsMiddleware(metrics: httpMetrics))
    router.add(middleware: ErrorEnvelopeMiddleware(catalog: catalog))
    router.add(middleware: BodyLimitMiddleware(limit: settings.maxBodyBytes))
    router.add(middleware: NULCharacterGuard())

    let buildInfo = environment.metrics.makeGauge(
        descriptor: .init(namespace: "mlopsd", metricName: "build", unitName: "info", helpText: "Version and role of this process"),
        labels: [("version", MLOpsVersion.current), ("role", processRole.rawValue)]
    )
    buildInfo.set(to: 1)
    let jobGauges = JobGauges(registry: environment.metrics, modules: modules)
    let processMetrics = ProcessMetrics(registry: environment.metrics)
    let databases = modules.flatMap(\.databases)
    let readinessChecks = modules.flatMap(\.readinessChecks)

    let health: @Sendable (ServiceRole) -> HealthReport = { role in
        HealthReport(
            status: "healthy", role: role.rawValue, service: role.rawValue, timestamp: ISO8601Timestamp.string(Date(), milliseconds: true),
            version: MLOpsVersion.current, uptimeSeconds: (ContinuousClock.now - startedAt).seconds)
    }
    routes.get("health") { _, _ in health(processRole) }
    routes.get("ready") { _, _ in try await Readiness.check(databases, readinessChecks) }
    routes.get("metrics") { _, _ -> Response in
        await jobGauges.refresh()
        processMetrics.refresh()
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(bytes: environment.metrics.emitToBuffer()))
        )
    }

    for module in modules {
        let group = routes.group(RouterPath(module.role.apiPrefix))
        group.get("health") { _, _ in health(module.role) }
        group.get("ready") { _, _ in try await Readiness.check(module.databases, module.readinessChecks) }
        if let document = module.openAPIDocument {
            group.get("openapi.json") { _, _ in OpenAPIResponse(document: document.content) }
        }
        if let runner = module.jobRunner {
            JobRoutes.register(on: group.group().add(middleware: AuthGuard.admin(environment.tokens)), runner: runner)
        }
        module.installRoutes(group)
    }
    site?(router.group())
    return (router, catalog)
}

/// `GET /health`: `status` and `service` as the services mlopsd replaces answered (their clients
/// and probes read them), `role` and the rest as mlopsd always has.
struct HealthReport: ResponseEncodable {
    var status: String
    var role: String
    var service: String
    var timestamp: String
    var version: String
    var uptimeSeconds: Double

    enum CodingKeys: String, CodingKey {
        case status, role, service, timestamp, version
        case uptimeSeconds = "uptime_seconds"
    }
}

enum Readiness {
    struct Report: ResponseEncodable {
        var status: String
        var checks: [String: String]
    }

    static func check(_ databases: [AppDatabase], _ conditions: [RoleModule.ReadinessCheck] = []) async throws -> Report {
        var checks: [String: String] = [:]
        var failed: [FieldProblem] = []
        for database in databases {
            let name = URL(fileURLWithPath: database.path).lastPathComponent
            if await database.isReachable() {
                checks[name] = "ok"
            } else {
                checks[name] = "unreachable"
                failed.append(FieldProblem(field: name, problem: "database is not reachable"))
            }
        }
        for condition in conditions {
            if let problem = await condition() {
                checks[problem.field] = problem.problem
                failed.append(problem)
            }
        }
        guard failed.isEmpty else {
            throw APIError(.serviceUnavailable, code: "not_ready", message: "A dependency is not ready", details: failed)
        }
        return Report(status: "ready", checks: checks)
    }
}

struct OpenAPIResponse: ResponseGenerator {
    let document: JSONValue

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: document.jsonString()))
        )
    }
}

/// Jobs by role and status, read from the job stores when `/metrics` is scraped.
struct JobGauges: Sendable {
    let entries: [(role: String, runner: JobRunner, gauges: [JobStatus: Gauge])]

    init(registry: PrometheusCollectorRegistry, modules: [RoleModule]) {
        entries = modules.compactMap { module in
            guard let runner = module.jobRunner else { return nil }
            let gauges = Dictionary(
                uniqueKeysWithValues: JobStatus.allCases.map { status in
                    (
                        status,
                        registry.makeGauge(
                            descriptor: .init(namespace: "mlopsd", metricName: "jobs", unitName: "", helpText: "Jobs by role and status"),
                            labels: [("role", module.role.rawValue), ("status", status.rawValue)]
                        )
                    )
                })
            return (module.role.rawValue, runner, gauges)
        }
    }

    func refresh() async {
        for entry in entries {
            guard let counts = try? await entry.runner.store.countByStatus() else { continue }
            for (status, gauge) in entry.gauges { gauge.set(to: Double(counts[status] ?? 0)) }
        }
    }
}

extension Duration {
    /// In seconds, for logs and JSON.
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
