import Kernel

/// The routes a role registers under its prefix and the operations its OpenAPI document lists,
/// so a test can hold the two to each other.
public struct OpenAPICoverage: Sendable {
    public let registered: Set<RouteEntry>
    public let documented: Set<RouteEntry>
    public let document: JSONValue

    public init(module: RoleModule, environment: KernelEnvironment) {
        registered = Set(
            buildRouter(environment: environment, modules: [module]).catalog.entries
                .filter { $0.path.hasPrefix(module.role.apiPrefix) })
        document = module.openAPIDocument?.content ?? .null
        documented = module.openAPIDocument?.operations ?? []
    }

    /// Registered routes missing from the document.
    public var undocumented: [RouteEntry] { registered.subtracting(documented).sorted() }
    /// Documented operations with no route behind them.
    public var phantom: [RouteEntry] { documented.subtracting(registered).sorted() }
}
