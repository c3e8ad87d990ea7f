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

    public init(
        settings: Settings, logger: Logger, tokens: TokenCodec, metrics: PrometheusCollectorRegistry = .init(),
        championChanges: ChampionChanges = ChampionChanges()
    ) {
        self.settings = settings
        self.logger = logger
        self.tokens = tokens
        self.metrics = metrics
        self.championChanges = championChanges
    }

    public static func make(settings: Settings, logger: Logger) async -> KernelEnvironment {
        KernelEnvironment(settings: settings, logger: logger, tokens: await TokenCodec(secret: settings.jwtSecret))
    }
}
