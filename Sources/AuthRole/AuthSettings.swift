import Foundation
import Kernel

/// The auth role's own settings: the bcrypt cost, login throttling, the refresh limit and how
/// password resets are delivered.
struct AuthSettings: Sendable {
    /// At least 12 outside debug mode.
    var bcryptCost: Int
    /// Failed logins per username and client address within `loginLockout` before 429.
    var loginMaxFailures: Int
    var loginLockout: Duration
    /// Refreshes per account within `refreshWindow` before 429.
    var refreshMaxPerWindow: Int
    var refreshWindow: Duration
    /// `MLOPSD_PASSWORD_RESET_DELIVERY` (`none`, `log`, `webhook` with
    /// `MLOPSD_PASSWORD_RESET_WEBHOOK_URL`) and how long a reset token lives.
    var resetDelivery: ResetDelivery
    var resetLifetime: Duration

    init(_ reader: SettingsReader, debug: Bool) throws {
        bcryptCost = try reader.int("MLOPSD_BCRYPT_COST", default: 12, range: (debug ? 4 : 12)...16)
        loginMaxFailures = try reader.int("MLOPSD_LOGIN_MAX_FAILURES", default: 5, range: 1...1000)
        loginLockout = try reader.seconds("MLOPSD_LOGIN_LOCKOUT_SECONDS", default: 300, range: 1...86_400)
        refreshMaxPerWindow = try reader.int("MLOPSD_REFRESH_MAX_PER_WINDOW", default: 30, range: 1...10_000)
        refreshWindow = try reader.seconds("MLOPSD_REFRESH_WINDOW_SECONDS", default: 60, range: 1...86_400)
        resetLifetime = .seconds(try reader.int("MLOPSD_PASSWORD_RESET_MINUTES", default: 15, range: 1...1440) * 60)
        switch reader.string("MLOPSD_PASSWORD_RESET_DELIVERY") ?? "none" {
        case "none": resetDelivery = .none
        case "log": resetDelivery = .log
        case "webhook":
            let variable = "MLOPSD_PASSWORD_RESET_WEBHOOK_URL"
            guard let text = reader.string(variable, secret: true) else {
                throw SettingsError(variable: variable, problem: "is required when MLOPSD_PASSWORD_RESET_DELIVERY is webhook")
            }
            guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
                throw SettingsError(variable: variable, problem: "must be an http(s) URL")
            }
            resetDelivery = .webhook(url)
        case let other:
            throw SettingsError(variable: "MLOPSD_PASSWORD_RESET_DELIVERY", problem: "must be none, log or webhook, got '\(other)'")
        }
    }
}
