import Foundation
import Logging
import Prometheus

/// What the kernel hands every role module when the process assembles itself.
public struct KernelEnvironment: Sendable {
    public let settings: Settings
    public let logger: Logger
    public let tokens: TokenCodec
    public let metrics: PrometheusCollectorRegistry
    /// Shared by the roles of one process: a promotion in `--role all` reaches the predict role.
    public let championChanges: ChampionChanges
    /// The PostgreSQL database of `MLOPSD_DATABASE_URL`, whose pool must be running before the
    /// roles are assembled (they migrate it); nil for SQLite per role.
    public let sharedDatabase: SharedDatabase?

    public init(
        settings: Settings, logger: Logger, tokens: TokenCodec, metrics: PrometheusCollectorRegistry = .init(),
        championChanges: ChampionChanges = ChampionChanges(), sharedDatabase: SharedDatabase? = nil
    ) {
        self.settings = settings
        self.logger = logger
        self.tokens = tokens
        self.metrics = metrics
        self.championChanges = championChanges
        self.sharedDatabase = sharedDatabase
    }

    /// The champion's home: the shared database when there is one, else the models directory.
    public func championStore() async throws -> any ChampionStore {
        if let sharedDatabase {
            try await sharedDatabase.migrate(PostgresChampionStore.migrations)
            return PostgresChampionStore(database: sharedDatabase, logger: logger)
        }
        return FileChampionStore(modelsDirectory: URL(fileURLWithPath: settings.modelsDirectory).standardizedFileURL)
    }

    /// How this process hears of revocations made by an auth role elsewhere: through the shared
    /// database, or from the auth role's feed. Nil where no other process can revoke (`all` or
    /// the auth role on SQLite) or where no auth role is configured.
    public func revocationFollower() -> RevocationFollower? {
        if let database = sharedDatabase {
            return RevocationFollower(
                source: .ledger(
                    PostgresRevocationLedger(database: database, logger: logger),
                    migrate: {
                        try await database.migrate(PostgresRevocationLedger.migrations)
                    }),
                codec: tokens, horizon: settings.accessTokenLifetime, logger: logger
            )
        }
        guard settings.role != .all, settings.role != .auth, let url = settings.authURL else { return nil }
        return RevocationFollower(source: .authRole(url), codec: tokens, horizon: settings.accessTokenLifetime, logger: logger)
    }

    public static func make(settings: Settings, logger: Logger) async throws -> KernelEnvironment {
        KernelEnvironment(
            settings: settings, logger: logger, tokens: await TokenCodec(secret: settings.jwtSecret),
            sharedDatabase: try settings.databaseURL.map { try SharedDatabase(url: $0, logger: logger) }
        )
    }
}
