/// A configuration problem found before the server binds a port. The executable prints
/// `message` and exits with status 2.
public struct SettingsError: Error, Sendable, Equatable, CustomStringConvertible {
    public let variable: String
    public let problem: String

    public init(variable: String, problem: String) {
        self.variable = variable
        self.problem = problem
    }

    public var description: String { "\(variable): \(problem)" }
}
