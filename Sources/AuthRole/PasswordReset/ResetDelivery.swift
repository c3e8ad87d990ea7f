import Foundation
import Logging

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// How a reset token reaches its account's owner. No mail server is bundled: operators either read
/// it from the log and pass it on, or point a webhook at whatever sends their mail or chat
/// messages. In debug mode the token is also in the answer to the request.
public enum ResetDelivery: Sendable, Equatable {
    /// Not delivered; the request is only logged (without the token).
    case none
    /// One `notice` line with the token, for operators of small deployments.
    case log
    /// `POST` of `{username, email, reset_token, expires_at}` as JSON.
    case webhook(URL)

    /// One reset to deliver.
    public struct Notice: Sendable, Encodable {
        var username: String
        var email: String
        var resetToken: String
        var expiresAt: Date

        enum CodingKeys: String, CodingKey {
            case username, email
            case resetToken = "reset_token"
            case expiresAt = "expires_at"
        }
    }

    /// Delivers `notice`; a failed webhook is logged (without the token), not retried.
    func deliver(_ notice: Notice, logger: Logger) async {
        switch self {
        case .none:
            logger.notice("password reset requested; no delivery is configured", metadata: ["username": "\(notice.username)"])
        case .log:
            logger.notice(
                "password reset token issued",
                metadata: [
                    "username": "\(notice.username)", "reset_token": "\(notice.resetToken)",
                    "expires_at": "\(notice.expiresAt.timeIntervalSince1970)",
                ])
        case .webhook(let url):
            do {
                var request = URLRequest(url: url, timeoutInterval: 10)
                request.httpMethod = "POST"
                request.setValue("application/json", forHTTPHeaderField: "Content-Type")
                let encoder = JSONEncoder()
                encoder.dateEncodingStrategy = .iso8601
                request.httpBody = try encoder.encode(notice)
                let (_, response) = try await URLSession.shared.data(for: request)
                let status = (response as? HTTPURLResponse)?.statusCode ?? 0
                guard (200..<300).contains(status) else { throw WebhookRefused(status: status) }
                logger.info("password reset delivered", metadata: ["username": "\(notice.username)"])
            } catch let refused as WebhookRefused {
                logger.error("password reset webhook failed", metadata: ["username": "\(notice.username)", "error": "\(refused)"])
            } catch let error as URLError {
                // Only the code: the error's description carries the URL, which may hold a secret.
                logger.error("password reset webhook failed", metadata: ["username": "\(notice.username)", "url_error": "\(error.code.rawValue)"])
            } catch {
                logger.error("password reset webhook failed", metadata: ["username": "\(notice.username)", "error": "\(type(of: error))"])
            }
        }
    }
}

struct WebhookRefused: Error, CustomStringConvertible {
    let status: Int
    var description: String { "the webhook answered \(status)" }
}
