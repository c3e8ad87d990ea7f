/// The roles one `mlopsd` process can take. `all` runs every role in one process.
public enum ServiceRole: String, Sendable, CaseIterable, Codable {
    case data, train, predict, auth, all

    /// Default listening port per role, as in the compose file.
    public var defaultPort: Int {
        switch self {
        case .data: 8001
        case .train: 8002
        case .predict: 8003
        case .auth: 8004
        case .all: 8000
        }
    }

    /// The concrete roles this process serves.
    public var servedRoles: [ServiceRole] {
        self == .all ? [.auth, .data, .train, .predict] : [self]
    }

    /// URL prefix the role's API lives under.
    public var apiPrefix: String { "/api/v1/\(rawValue)" }
}
