import Kernel

/// The auth role's own settings: the bcrypt cost, login throttling and the refresh limit.
struct AuthSettings: Sendable {
    /// At least 12 outside debug mode.
    var bcryptCost: Int
    /// Failed logins per username and client address within `loginLockout` before 429.
    var loginMaxFailures: Int
    var loginLockout: Duration
    /// Refreshes per account within `refreshWindow` before 429.
    var refreshMaxPerWindow: Int
    var refreshWindow: Duration

    init(_ reader: SettingsReader, debug: Bool) throws {
        bcryptCost = try reader.int("MLOPSD_BCRYPT_COST", default: 12, range: (debug ? 4 : 12)...16)
        loginMaxFailures = try reader.int("MLOPSD_LOGIN_MAX_FAILURES", default: 5, range: 1...1000)
        loginLockout = try reader.seconds("MLOPSD_LOGIN_LOCKOUT_SECONDS", default: 300, range: 1...86_400)
        refreshMaxPerWindow = try reader.int("MLOPSD_REFRESH_MAX_PER_WINDOW", default: 30, range: 1...10_000)
        refreshWindow = try reader.seconds("MLOPSD_REFRESH_WINDOW_SECONDS", default: 60, range: 1...86_400)
    }
}
