import Foundation
import Hummingbird
import Kernel
import Logging

/// The auth role: accounts, password login, token issue/rotation/revocation, user admin.
public enum AuthRole {
    /// Opens `auth.sqlite`, seeds the admin account on first start and returns the module.
    ///
    /// Seeding is idempotent: an existing admin account is never touched, so a password changed
    /// through the API survives restarts even if `ADMIN_PASSWORD` still holds the old one.
    public static func module(environment: KernelEnvironment) async throws -> RoleModule {
        let settings = environment.settings
        let database = try AppDatabase.open(stateDirectory: settings.stateDirectory, name: "auth") { migrator in
            SQLiteUserStore.registerMigrations(&migrator)
            SQLiteRefreshTokenStore.registerMigrations(&migrator)
        }
        let users = SQLiteUserStore(database: database)
        let hasher = try await PasswordHasher(cost: settings.bcryptCost)
        try await seedAdmin(settings: settings, users: users, hasher: hasher, logger: environment.logger)

        let routes = AuthRoutes(
            users: users,
            hasher: hasher,
            issuer: TokenIssuer(
                codec: environment.tokens,
                refreshTokens: SQLiteRefreshTokenStore(database: database),
                users: users,
                accessLifetime: settings.accessTokenLifetime,
                refreshLifetime: settings.refreshTokenLifetime
            ),
            throttle: LoginThrottle(maxFailures: settings.loginMaxFailures, window: settings.loginLockout),
            tokens: environment.tokens
        )
        return RoleModule(
            role: .auth,
            summary: "Accounts and tokens: password login (JSON or OAuth2 form), refresh-token rotation, user administration.",
            databases: [database],
            openAPIPaths: try AuthOpenAPI.paths(),
            openAPIComponents: try AuthOpenAPI.components(),
            installRoutes: routes.install(on:)
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
            FileHandle.standardOutput.write(Data("""
                ┌ mlopsd (DEBUG): no ADMIN_PASSWORD was set, so one was generated for '\(settings.adminUsername)':
                │   \(settings.adminPassword)
                └ It is shown only now. Change it with POST /api/v1/auth/me/password.

                """.utf8))
        }
    }
}
