import Foundation

/// Why a client command failed, and the exit status scripts can rely on:
/// 1 the request or the job failed, 2 usage, 3 network or authentication.
public enum ClientError: Error, Sendable, CustomStringConvertible {
    /// The server answered with the error envelope.
    case api(status: Int, code: String, message: String, details: [(field: String, problem: String)])
    /// No answer: connection refused, timeout, DNS…
    case network(String)
    /// No stored session for this server, or one that can no longer be refreshed.
    case notLoggedIn(String)
    case usage(String)
    /// A job ended failed or cancelled.
    case jobFailed(String)
    /// Ctrl-C while waiting; the job goes on unless it was cancelled.
    case interrupted(String)

    public var exitCode: Int32 {
        switch self {
        case .api(let status, _, _, _): [401, 403].contains(status) ? 3 : 1
        case .network, .notLoggedIn: 3
        case .usage: 2
        case .jobFailed: 1
        case .interrupted: 130
        }
    }

    public var description: String {
        switch self {
        case .api(let status, let code, let message, let details):
            let fields = details.map { "\n  \($0.field): \($0.problem)" }.joined()
            return "\(message) (HTTP \(status), \(code))\(fields)"
        case .network(let message), .notLoggedIn(let message), .usage(let message), .jobFailed(let message), .interrupted(let message):
            return message
        }
    }
}
