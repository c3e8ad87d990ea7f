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

    public var mlflowTrackingURI: String?
    public var mlflowUsername: String?
    public var mlflowPassword: String?
    public var mlflowToken: String?
    /// MLflow's own client variables: retries (with doubling backoff from the factor, in seconds)
    /// and the timeout per request.
    public var mlflowMaxRetries: Int
    public var mlflowBackoffFactor: Double
    public var mlflowRequestTimeout: Duration

    /// Largest request body accepted by JSON and form endpoints (uploads set their own limit).
    public var maxBodyBytes: Int
    /// Largest dataset upload; the CSV reader holds a whole file in memory and stops at 4 GiB.
    public var maxUploadBytes: Int
    /// The most fields (rows × columns) an uploaded CSV may have (`MLOPSD_MAX_UPLOAD_FIELDS`):
    /// parsing holds about 16 bytes per field.
    public var maxUploadFields: Int
    public var bcryptCost: Int
    /// Most records one `POST /predict/batch` may carry.
    public var predictMaxBatch: Int
    /// The largest batch body (`MLOPSD_PREDICT_MAX_BATCH_BYTES`): a batch of `predictMaxBatch`
    /// records is far over the general body limit.
    public var predictMaxBatchBytes: Int
    /// How often the predict role looks at `champion.json` for a new champion.
    public var predictReloadInterval: Duration
    /// Refuse (422) a category the model never saw, instead of encoding it as "no known category".
    public var predictRejectUnknownCategories: Bool
    /// Refuse (422) fields the model does not use, instead of ignoring and listing them.
    public var predictRejectExtraFields: Bool
    /// Finished jobs kept per role before the oldest are evicted.
    public var jobHistoryLimit: Int
    /// How long a replica holds a running job without renewing its claim; a job whose replica
    /// died is taken over once this has passed.
    public var jobLease: Duration
    /// The longest a training job may fit (`MLOPSD_TRAIN_MAX_SECONDS`): past it, it stops at the
    /// next tree or round and fails saying so.
    public var trainMaxDuration: Duration
    public var loginMaxFailures: Int
    public var loginLockout: Duration

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
        let reader = VariableReader(config: try await environmentConfig())
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
        let reader = VariableReader(config: config)

        debug = try reader.bool("DEBUG", default: false)
        role = try roleOverride ?? reader.parse("MLOPSD_ROLE", default: .all, expected: "one of data, train, predict, auth, all") {
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

        mlflowTrackingURI = reader.string("MLFLOW_TRACKING_URI")
        if let uri = mlflowTrackingURI {
            guard let url = URL(string: uri), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
                throw SettingsError(variable: "MLFLOW_TRACKING_URI", problem: "must be an http(s) URL, got '\(uri)'")
            }
        }
        mlflowUsername = reader.string("MLFLOW_TRACKING_USERNAME")
        mlflowPassword = reader.string("MLFLOW_TRACKING_PASSWORD", secret: true)
        mlflowToken = reader.string("MLFLOW_TRACKING_TOKEN", secret: true)
        mlflowMaxRetries = try reader.int("MLFLOW_HTTP_REQUEST_MAX_RETRIES", default: 3, range: 0...10)
        mlflowBackoffFactor = try reader.parse("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", default: 0.5, expected: "seconds from 0 to 60") { text in
            Double(text).flatMap { (0...60).contains($0) ? $0 : nil }
        }
        mlflowRequestTimeout = .seconds(try reader.int("MLFLOW_HTTP_REQUEST_TIMEOUT", default: 30, range: 1...600))

        maxBodyBytes = try reader.int("MLOPSD_MAX_BODY_BYTES", default: 1 << 20, range: 1024...(1 << 30))
        maxUploadBytes = try reader.int("MLOPSD_MAX_UPLOAD_BYTES", default: 1 << 30, range: 1024...Int(UInt32.max) - 1)
        maxUploadFields = try reader.int("MLOPSD_MAX_UPLOAD_FIELDS", default: 50_000_000, range: 1000...1_000_000_000)
        predictMaxBatch = try reader.int("MLOPSD_PREDICT_MAX_BATCH", default: 10_000, range: 1...1_000_000)
        predictMaxBatchBytes = try reader.int("MLOPSD_PREDICT_MAX_BATCH_BYTES", default: 32 << 20, range: 1024...(1 << 30))
        predictReloadInterval = .milliseconds(try reader.int("MLOPSD_PREDICT_RELOAD_MS", default: 1000, range: 50...3_600_000))
        predictRejectUnknownCategories = try reader.bool("MLOPSD_PREDICT_REJECT_UNKNOWN_CATEGORIES", default: true)
        predictRejectExtraFields = try reader.bool("MLOPSD_PREDICT_REJECT_EXTRA_FIELDS", default: false)
        bcryptCost = try reader.int("MLOPSD_BCRYPT_COST", default: 12, range: (debug ? 4 : 12)...16)
        jobHistoryLimit = try reader.int("MLOPSD_JOB_HISTORY", default: 1000, range: 1...1_000_000)
        jobLease = .seconds(try reader.int("MLOPSD_JOB_LEASE_SECONDS", default: 60, range: 2...3600))
        trainMaxDuration = .seconds(try reader.int("MLOPSD_TRAIN_MAX_SECONDS", default: 3600, range: 1...604_800))
        loginMaxFailures = try reader.int("MLOPSD_LOGIN_MAX_FAILURES", default: 5, range: 1...1000)
        loginLockout = .seconds(try reader.int("MLOPSD_LOGIN_LOCKOUT_SECONDS", default: 300, range: 1...86_400))

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

/// Typed access to variables with errors that name the variable.
private struct VariableReader {
    let config: ConfigReader

    func string(_ name: String, secret: Bool = false) -> String? {
        guard let value = config.string(forKey: ConfigKey([name]), isSecret: secret)?.trimmingCharacters(in: .whitespaces),
            !value.isEmpty
        else { return nil }
        return value
    }

    func int(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = string(name) else { return defaultValue }
        guard let value = Int(text) else {
            throw SettingsError(variable: name, problem: "expected a whole number, got '\(text)'")
        }
        guard range.contains(value) else {
            throw SettingsError(variable: name, problem: "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    func bool(_ name: String, default defaultValue: Bool) throws -> Bool {
        guard let text = string(name) else { return defaultValue }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw SettingsError(variable: name, problem: "expected true or false, got '\(text)'")
        }
    }

    func parse<T>(_ name: String, default defaultValue: T, expected: String, _ transform: (String) -> T?) throws -> T {
        guard let text = string(name) else { return defaultValue }
        guard let value = transform(text) else {
            throw SettingsError(variable: name, problem: "expected \(expected), got '\(text)'")
        }
        return value
    }
}
