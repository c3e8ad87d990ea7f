import Configuration
import Foundation
import Logging

/// Everything a role reads from its environment, validated once at start-up. Names are those of
/// the FastAPI services mlopsd replaces, so their `.env` files keep working.
public struct Settings: Sendable {
    public var role: ServiceRole
    public var host: String
    public var port: Int
    public var dataDirectory: String
    public var modelsDirectory: String
    public var stateDirectory: String
    /// `postgres://…`: the stores of every role in one PostgreSQL database the replicas share
    /// (SQLite files under `stateDirectory` otherwise).
    public var databaseURL: String?

    public var jwtSecret: String
    public var accessTokenLifetime: Duration
    public var refreshTokenLifetime: Duration
    /// Where a role in its own process asks the auth role for revoked accounts
    /// (`MLOPSD_AUTH_URL`, e.g. http://auth:8004); not needed with a shared database or in `all`.
    public var authURL: URL?

    public var adminUsername: String
    /// Empty unless this process serves the auth role.
    public var adminPassword: String
    public var adminEmail: String

    public var debug: Bool
    public var logLevel: Logger.Level

    /// Largest request body accepted by JSON and form endpoints (uploads set their own limit).
    public var maxBodyBytes: Int
    /// Finished jobs kept per role before the oldest are evicted.
    public var jobHistoryLimit: Int
    /// How long a replica holds a running job without renewing its claim; a job whose replica
    /// died is taken over once this has passed.
    public var jobLease: Duration
    /// The same variables, for the settings of the roles this process serves.
    public let reader: SettingsReader

    /// Notes for the operator produced while loading (ephemeral secret, generated password).
    /// They are printed by the executable; the generated password only when it is actually used.
    public var warnings: [String] = []
    /// True when `adminPassword` was generated because debug mode had none.
    public var adminPasswordWasGenerated = false

    /// Example values from the replaced services' documentation that must never reach production.
    public static let placeholderSecrets: Set<String> = [
        "your-secret-key",
        "change-me",
        "changeme",
        "secret",
        "change-me-to-a-random-string-of-at-least-32-bytes",
    ]
    public static let placeholderPasswords: Set<String> = [
        "change-me", "changeme", "admin", "password", "change-me-admin-password",
    ]
    public static let secretVariables = [
        "JWT_SECRET_KEY", "ADMIN_PASSWORD", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN", "MLOPSD_DATABASE_URL",
    ]

    /// Reads the process environment, then `.env` in the working directory (the environment wins).
    public static func fromEnvironment(roleOverride: ServiceRole? = nil, portOverride: Int? = nil, hostOverride: String? = nil)
        async throws -> Settings
    {
        try Settings(
            config: try await environmentConfig(),
            roleOverride: roleOverride,
            portOverride: portOverride,
            hostOverride: hostOverride
        )
    }

    /// The process environment over `.env` in the working directory, secrets marked as such.
    static func environmentConfig() async throws -> ConfigReader {
        let secrets = SecretsSpecifier<String, String>.specific(Set(secretVariables))
        var providers: [any ConfigProvider] = [EnvironmentVariablesProvider(secretsSpecifier: secrets)]
        if FileManager.default.fileExists(atPath: ".env") {
            do {
                providers.append(try await EnvironmentVariablesProvider(environmentFilePath: ".env", secretsSpecifier: secrets))
            } catch {
                throw SettingsError(variable: ".env", problem: "cannot be read: \(error)")
            }
        }
        return ConfigReader(providers: providers)
    }

    /// A few settings read as `fromEnvironment` reads them, for commands that need no more than
    /// these (and so not, say, a JWT secret): the set ones, trimmed.
    public static func environmentValues(_ names: [String]) async throws -> [String: String] {
        let reader = SettingsReader(config: try await environmentConfig())
        var values: [String: String] = [:]
        for name in names {
            values[name] = reader.string(name, secret: secretVariables.contains(name))
        }
        return values
    }

    public init(
        config: ConfigReader,
        roleOverride: ServiceRole? = nil,
        portOverride: Int? = nil,
        hostOverride: String? = nil
    ) throws {
        let reader = SettingsReader(config: config)
        self.reader = reader

        debug = try reader.bool("DEBUG", default: false)
        role =
            try roleOverride
            ?? reader.parse("MLOPSD_ROLE", default: .all, expected: "one of data, train, predict, auth, all") {
                ServiceRole(rawValue: $0.lowercased())
            }
        host = hostOverride ?? reader.string("MLOPSD_HOST") ?? "127.0.0.1"
        port = try portOverride ?? reader.int("MLOPSD_PORT", default: role.defaultPort, range: 1...65535)
        dataDirectory = reader.string("MLOPSD_DATA_DIR") ?? "var/data"
        modelsDirectory = reader.string("MLOPSD_MODELS_DIR") ?? "var/models"
        stateDirectory = reader.string("MLOPSD_STATE_DIR") ?? "var/state"
        databaseURL = reader.string("MLOPSD_DATABASE_URL", secret: true)
        if let url = databaseURL {
            _ = try SharedDatabase.configuration(url: url)
        }

        let algorithm = reader.string("JWT_ALGORITHM") ?? "HS256"
        guard algorithm == "HS256" else {
            throw SettingsError(variable: "JWT_ALGORITHM", problem: "only HS256 is supported, got '\(algorithm)'")
        }
        accessTokenLifetime = .seconds(try reader.int("ACCESS_TOKEN_EXPIRE_MINUTES", default: 30, range: 1...1440) * 60)
        refreshTokenLifetime = .seconds(try reader.int("REFRESH_TOKEN_EXPIRE_DAYS", default: 7, range: 1...365) * 86_400)
        if reader.string("MLOPSD_AUTH_URL") == nil, databaseURL == nil, [.data, .train, .predict].contains(role) {
            warnings.append(
                "MLOPSD_AUTH_URL is not set: this process does not hear of disabled accounts, whose access tokens it accepts until they expire"
            )
        }
        if let text = reader.string("MLOPSD_AUTH_URL") {
            guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
                throw SettingsError(variable: "MLOPSD_AUTH_URL", problem: "must be an http(s) URL like http://auth:8004, got '\(text)'")
            }
            authURL = url
        } else {
            authURL = nil
        }

        adminUsername = reader.string("ADMIN_USERNAME") ?? "admin"
        guard UsernameRule.isValid(adminUsername) else {
            throw SettingsError(variable: "ADMIN_USERNAME", problem: UsernameRule.description)
        }
        adminEmail = reader.string("ADMIN_EMAIL") ?? "admin@mlops.local"
        logLevel = try reader.parse("LOG_LEVEL", default: .info, expected: "one of DEBUG, INFO, WARNING, ERROR, CRITICAL") {
            Settings.logLevel(named: $0)
        }

        maxBodyBytes = try reader.int("MLOPSD_MAX_BODY_BYTES", default: 1 << 20, range: 1024...(1 << 30))
        jobHistoryLimit = try reader.int("MLOPSD_JOB_HISTORY", default: 1000, range: 1...1_000_000)
        jobLease = try reader.seconds("MLOPSD_JOB_LEASE_SECONDS", default: 60, range: 2...3600)

        let secret = reader.string("JWT_SECRET_KEY", secret: true) ?? ""
        if let problem = Settings.secretProblem(secret) {
            guard debug else { throw SettingsError(variable: "JWT_SECRET_KEY", problem: problem) }
            jwtSecret = Settings.randomToken(bytes: 48)
            warnings.append("JWT_SECRET_KEY \(problem); DEBUG=true, so an ephemeral secret is used and tokens die with this process")
        } else {
            jwtSecret = secret
        }

        // Only the auth role seeds the admin account: the others never see the password (compose
        // gives it to auth alone), so they must not need it to start.
        let password = reader.string("ADMIN_PASSWORD", secret: true) ?? ""
        if !role.servedRoles.contains(.auth) {
            adminPassword = ""
        } else if password.isEmpty || Settings.placeholderPasswords.contains(password.lowercased()) {
            guard debug else {
                throw SettingsError(
                    variable: "ADMIN_PASSWORD",
                    problem: password.isEmpty ? "is not set" : "is the example value; choose a real password"
                )
            }
            adminPassword = Settings.randomToken(bytes: 12)
            adminPasswordWasGenerated = true
        } else {
            guard PasswordRule.isValid(password) else {
                throw SettingsError(variable: "ADMIN_PASSWORD", problem: PasswordRule.description)
            }
            adminPassword = password
        }
    }

    /// Why a JWT secret is unfit, or nil when it is fine.
    static func secretProblem(_ secret: String) -> String? {
        if secret.isEmpty { return "is not set" }
        if placeholderSecrets.contains(secret.lowercased()) { return "is the example value; generate one with `openssl rand -hex 32`" }
        if secret.utf8.count < 32 { return "must be at least 32 bytes (got \(secret.utf8.count))" }
        return nil
    }

    static func logLevel(named name: String) -> Logger.Level? {
        switch name.uppercased() {
        case "TRACE": .trace
        case "DEBUG": .debug
        case "INFO": .info
        case "NOTICE": .notice
        case "WARNING", "WARN": .warning
        case "ERROR": .error
        case "CRITICAL", "FATAL": .critical
        default: nil
        }
    }

    /// URL-safe random text from the system CSPRNG.
    public static func randomToken(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
