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
        document = OpenAPIDocument.build(for: module)
        var documented: Set<RouteEntry> = []
        if case .object(let paths)? = document["paths"] {
            for (path, item) in paths {
                guard case .object(let operations) = item else { continue }
                for method in operations.keys where method != "parameters" {
                    documented.insert(RouteEntry(method: method.uppercased(), path: path))
                }
            }
        }
        self.documented = documented
    }

    /// Registered routes missing from the document.
    public var undocumented: [RouteEntry] { registered.subtracting(documented).sorted() }
    /// Documented operations with no route behind them.
    public var phantom: [RouteEntry] { documented.subtracting(registered).sorted() }
}
