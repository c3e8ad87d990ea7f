import ArgumentParser
import AuthRole
import DataRole
import Foundation
import Hummingbird
import Kernel
import Logging
import PredictRole
import Synchronization
import TrainRole
import WebUI

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run one role (or all of them) as an HTTP service.",
        discussion: """
            Default ports: data 8001, train 8002, predict 8003, auth 8004, all 8000.
            Outside DEBUG=true the service refuses to start without a JWT_SECRET_KEY of at least 32 bytes \
            and a real ADMIN_PASSWORD. A configuration error exits with status 2 before any port is bound.
            """
    )

    @Option(help: "Role to serve: data, train, predict, auth or all (default: $MLOPSD_ROLE, else all).")
    var role: ServiceRole?

    @Option(help: "Address to bind (default: $MLOPSD_HOST, else 127.0.0.1).")
    var host: String?

    @Option(help: "Port to bind, 0 for any free port (default: $MLOPSD_PORT, else the role's port).")
    var port: Int?

    /// What `main` got when it asked for the event loops: NIO finds the runtime's hook with
    /// dlsym, which cannot see it when the runtime is linked in statically (the image). There the
    /// separate pool stays; a takeover made to work through the linker measured 12% fewer
    /// requests per second in that build (docs/benchmarks.md), so none is forced.
    enum Executor: UInt8, AtomicRepresentable {
        case pool, eventLoops, unavailable
    }

    static let executor = Atomic<Executor>(.pool)

    /// Whether Swift concurrency's tasks should run on NIO's event loops rather than a pool of
    /// their own (`MLOPSD_NIO_EXECUTOR`, default on for the predict role only). Each request then
    /// stays on the thread that reads and writes its connection: with the runtime linked
    /// dynamically (`swift build`) the predict role measured 15% more requests per second this
    /// way (docs/benchmarks.md). The other roles keep the separate pool, whose longer handlers
    /// (uploads, profiles) then never hold up a connection's I/O. The role is the one `--role`
    /// or the process environment names.
    /// The dashboard is served where users sign in: by `all`, and by the auth role behind nginx.
    static func site(for role: ServiceRole) -> RoleModule.RouteInstaller? {
        guard role == .all || role == .auth else { return nil }
        return { group in WebSite.install(on: group) }
    }

    func runsOnEventLoops(environment: [String: String]) -> Bool {
        switch environment["MLOPSD_NIO_EXECUTOR"] {
        case "1", "true": return true
        case "0", "false": return false
        default: return (role ?? environment["MLOPSD_ROLE"].flatMap(ServiceRole.init(rawValue:))) == .predict
        }
    }

    func run() async throws {
        let settings: Settings
        do {
            settings = try await Settings.fromEnvironment(roleOverride: role, portOverride: port, hostOverride: host)
        } catch let error as SettingsError {
            FileHandle.standardError.write(Data("mlopsd: configuration error: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let level = settings.logLevel
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        var logger = Logger(label: "mlopsd")
        logger[metadataKey: "service"] = .string(settings.role.rawValue)
        for warning in settings.warnings { logger.warning("\(warning)") }
        if Self.executor.load(ordering: .relaxed) == .unavailable {
            logger.notice("tasks run on Swift's thread pool: NIO cannot take it over where the Swift runtime is linked in statically")
        }
        if !FaultPoint.armed.isEmpty {
            logger.warning(
                "fault injection armed: the process kills itself at these steps", metadata: ["points": "\(FaultPoint.armed.map(\.rawValue).sorted())"])
        }

        let environment = try await KernelEnvironment.make(settings: settings, logger: logger)
        defer { LogSink.standardError.flush() }
        // The shared database's pool runs from before the roles migrate it until the service
        // has stopped, so jobs finishing during shutdown can still record their outcome.
        try await withThrowingDiscardingTaskGroup { group in
            if let database = environment.sharedDatabase {
                group.addTask { await database.run() }
            }
            var modules: [RoleModule] = []
            for served in settings.role.servedRoles {
                do {
                    modules.append(try await RoleAssembly.module(for: served, environment: environment))
                } catch let error as SettingsError {
                    // A role's own settings are read as it assembles, before it touches anything.
                    FileHandle.standardError.write(Data("mlopsd: configuration error: \(error)\n".utf8))
                    throw ExitCode(2)
                }
            }
            let app = buildApplication(environment: environment, modules: modules, site: Self.site(for: settings.role))
            logger.info("starting", metadata: ["version": "\(MLOpsVersion.current)", "host": "\(settings.host)", "port": "\(settings.port)"])
            try await app.runService()
            group.cancelAll()
        }
    }
}

/// Maps each role to the module that implements it in this build.
enum RoleAssembly {
    static func module(for role: ServiceRole, environment: KernelEnvironment) async throws -> RoleModule {
        switch role {
        case .auth: try await AuthRole.module(environment: environment)
        case .data: try await DataRole.module(environment: environment)
        case .train: try await TrainRole.module(environment: environment)
        case .predict: try await PredictRole.module(environment: environment)
        case .all: throw ValidationError("role 'all' is served as the four roles it stands for")
        }
    }
}
