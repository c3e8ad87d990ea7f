import Foundation
import Hummingbird
import Kernel
import Logging

/// The auth role: accounts, password login, token issue/rotation/revocation, user admin.
public enum AuthRole {
    /// Opens its stores (`auth.sqlite`, or the shared PostgreSQL database), seeds the admin
    /// account on first start and returns the module.
    ///
    /// Seeding is idempotent: an existing admin account is never touched, so a password changed
    /// through the API survives restarts even if `ADMIN_PASSWORD` still holds the old one.
    public static func module(environment: KernelEnvironment) async throws -> RoleModule {
        let settings = environment.settings
        let own = try AuthSettings(settings.reader, debug: settings.debug)
        let stores = try await Stores.open(environment)
        let users = stores.users
        let hasher = try await PasswordHasher(cost: own.bcryptCost)
        try await seedAdmin(settings: settings, users: users, hasher: hasher, logger: environment.logger)
        // Revocations made before a restart still hold for the tokens issued before them.
        let horizon = Date().addingTimeInterval(-TimeInterval(settings.accessTokenLifetime.components.seconds))
        for revocation in try await stores.revocations.revocations(since: horizon) {
            environment.tokens.revocations.record(revocation)
        }

        let deliveries = ResetDeliveryQueue(
            issuer: ResetTokenIssuer(store: stores.passwordResets, users: users, lifetime: own.resetLifetime), delivery: own.resetDelivery,
            logger: environment.logger)
        let document = try OpenAPIDocument(json: AuthAPIDocument.json)
        let api = AuthAPI(
            users: users,
            hasher: hasher,
            issuer: TokenIssuer(
                codec: environment.tokens,
                refreshTokens: stores.refreshTokens,
                users: users,
                revocations: stores.revocations,
                accessLifetime: settings.accessTokenLifetime,
                refreshLifetime: settings.refreshTokenLifetime,
                refreshLimit: RefreshLimit(attempts: stores.loginAttempts, maxPerWindow: own.refreshMaxPerWindow, window: own.refreshWindow)
            ),
            throttle: LoginThrottle(attempts: stores.loginAttempts, maxFailures: own.loginMaxFailures, window: own.loginLockout),
            revocations: stores.revocations,
            resets: PasswordResets(
                issuer: deliveries.issuer, deliveries: deliveries, attempts: stores.loginAttempts, revealsToken: settings.debug),
            tokens: environment.tokens,
            document: document
        )
        return RoleModule(
            role: .auth,
            databases: stores.databases,
            services: [deliveries],
            openAPIDocument: document,
            readinessChecks: stores.readinessChecks,
            installRoutes: api.install(on:)
        )
    }

    static func seedAdmin(settings: Settings, users: any UserStore, hasher: PasswordHasher, logger: Logger) async throws {
        guard try await users.find(username: settings.adminUsername) == nil else { return }
        let created = try await users.createIfAbsent(
            username: settings.adminUsername,
            email: settings.adminEmail,
            role: .admin,
            passwordHash: try await hasher.hash(settings.adminPassword)
        )
        guard created else { return }
        logger.notice("admin account created", metadata: ["username": "\(settings.adminUsername)"])
        if settings.adminPasswordWasGenerated {
            // Shown once, on the terminal only: it is not in the log stream.
            FileHandle.standardOutput.write(
                Data(
                    """
                    ┌ mlopsd (DEBUG): no ADMIN_PASSWORD was set, so one was generated for '\(settings.adminUsername)':
                    │   \(settings.adminPassword)
                    └ It is shown only now. Change it with POST /api/v1/auth/me/password.

                    """.utf8))
        }
    }
}

extension AuthRole {
    /// The auth role's SQLite file and its PostgreSQL tables, for start-up and for
    /// `mlopsd db migrate-to-postgres`. Recent login attempts and outstanding reset tokens are not
    /// copied: they only matter for minutes.
    public static let stateLayout = RoleStateLayout(
        database: "auth", durability: .full,
        sqliteMigrations: { migrator in
            SQLiteUserStore.registerMigrations(&migrator)
            SQLiteRefreshTokenStore.registerMigrations(&migrator)
            SQLiteLoginAttemptStore.registerMigrations(&migrator)
            SQLiteRevocationLedger.registerMigrations(&migrator)
            SQLitePasswordResetStore.registerMigrations(&migrator)
        },
        postgresMigrations: PostgresUserStore.migrations + PostgresRefreshTokenStore.migrations + PostgresLoginAttemptStore.migrations
            + PostgresRevocationLedger.migrations + PostgresPasswordResetStore.migrations,
        tables: [
            TableCopy("users", renumbered: ["id"]), TableCopy("refresh_tokens"), TableCopy("token_revocations"), TableCopy("signed_out_tokens"),
        ]
    )

    /// Where accounts, refresh tokens and recent login attempts live: the role's own SQLite
    /// file, or the database its replicas share.
    struct Stores {
        var users: any UserStore
        var refreshTokens: any RefreshTokenStore
        var loginAttempts: any LoginAttemptStore
        var revocations: any RevocationLedger
        var passwordResets: any PasswordResetStore
        var databases: [AppDatabase]
        var readinessChecks: [RoleModule.ReadinessCheck]

        static func open(_ environment: KernelEnvironment) async throws -> Stores {
            if let shared = environment.sharedDatabase {
                try await shared.migrate(stateLayout.postgresMigrations)
                return Stores(
                    users: PostgresUserStore(database: shared, logger: environment.logger),
                    refreshTokens: PostgresRefreshTokenStore(database: shared, logger: environment.logger),
                    loginAttempts: PostgresLoginAttemptStore(database: shared, logger: environment.logger),
                    revocations: PostgresRevocationLedger(database: shared, logger: environment.logger),
                    passwordResets: PostgresPasswordResetStore(database: shared, logger: environment.logger),
                    databases: [], readinessChecks: [shared.readinessCheck]
                )
            }
            let database = try AppDatabase.open(
                stateDirectory: environment.settings.stateDirectory, name: stateLayout.database, durability: stateLayout.durability,
                migrations: stateLayout.sqliteMigrations
            )
            return Stores(
                users: SQLiteUserStore(database: database), refreshTokens: SQLiteRefreshTokenStore(database: database),
                loginAttempts: SQLiteLoginAttemptStore(database: database),
                revocations: SQLiteRevocationLedger(database: database),
                passwordResets: SQLitePasswordResetStore(database: database),
                databases: [database], readinessChecks: []
            )
        }
    }
}
