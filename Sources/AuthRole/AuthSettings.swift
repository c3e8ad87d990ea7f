import Kernel

/// The auth role's own settings: the bcrypt cost and login throttling.
struct AuthSettings: Sendable {
    /// At least 12 outside debug mode.
    var bcryptCost: Int
    /// Failed logins per username and client address within `loginLockout` before 429.
    var loginMaxFailures: Int
    var loginLockout: Duration

    init(_ reader: SettingsReader, debug: Bool) throws {
        bcryptCost = try reader.int("MLOPSD_BCRYPT_COST", default: 12, range: (debug ? 4 : 12)...16)
        loginMaxFailures = try reader.int("MLOPSD_LOGIN_MAX_FAILURES", default: 5, range: 1...1000)
        loginLockout = try reader.seconds("MLOPSD_LOGIN_LOCKOUT_SECONDS", default: 300, range: 1...86_400)
    }
}
