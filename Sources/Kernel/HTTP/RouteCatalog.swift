import Hummingbird
import Synchronization

/// One registered endpoint: its method and its path template (`/api/v1/auth/users/{username}`).
public struct RouteEntry: Hashable, Sendable, Comparable {
    public var method: String
    public var path: String

    public init(method: String, path: String) {
        self.method = method
        self.path = path
    }

    public static func < (lhs: RouteEntry, rhs: RouteEntry) -> Bool {
        (lhs.path, lhs.method) < (rhs.path, rhs.method)
    }
}

/// Every route the application registered. It lets the error layer answer 405 instead of 404
/// when only the method is wrong, and lets tests hold the OpenAPI document to the real router.
public final class RouteCatalog: Sendable {
    private let routes = Mutex<[(entry: RouteEntry, path: RouterPath)]>([])

    public init() {}

    func record(_ path: RouterPath, method: HTTPRequest.Method) {
        let entry = RouteEntry(method: method.rawValue, path: path.description)
        routes.withLock { $0.append((entry, path)) }
    }

    public var entries: [RouteEntry] {
        routes.withLock { $0.map(\.entry) }.sorted()
    }

    /// Methods registered for templates matching `path`, empty when the path is unknown.
    public func allowedMethods(for path: String) -> [String] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return routes.withLock { routes in
            Set(routes.filter { Self.matches($0.path, segments) }.map(\.entry.method)).sorted()
        }
    }

    private static func matches(_ template: RouterPath, _ segments: [Substring]) -> Bool {
        var index = 0
        for element in template.components {
            if element.description == "**" { return true }
            guard index < segments.count, element ~= segments[index] else { return false }
            index += 1
        }
        return index == segments.count
    }
}

/// A `RouterMethods` front for the application router that records each route it forwards.
/// Groups made from it (`routes.group("api/v1/auth")`) record their full paths too.
public struct CatalogingRouter: RouterMethods {
    public typealias Context = AppRequestContext
    let router: Router<AppRequestContext>
    public let catalog: RouteCatalog

    init(router: Router<AppRequestContext>, catalog: RouteCatalog) {
        self.router = router
        self.catalog = catalog
    }

    @discardableResult
    public func on<Responder: HTTPResponder>(
        _ path: RouterPath,
        method: HTTPRequest.Method,
        responder: Responder
    ) -> CatalogingRouter where Responder.Context == AppRequestContext {
        catalog.record(path, method: method)
        router.on(path, method: method, responder: responder)
        return self
    }

    @discardableResult
    public func add(middleware: any MiddlewareProtocol<Request, Response, AppRequestContext>) -> CatalogingRouter {
        router.add(middleware: middleware)
        return self
    }
}
