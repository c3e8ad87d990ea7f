import Logging
import Prometheus

/// What the kernel hands every role module when the process assembles itself.
public struct KernelEnvironment: Sendable {
    public let settings: Settings
    public let logger: Logger
    public let tokens: TokenCodec
    public let metrics: PrometheusCollectorRegistry

    public init(settings: Settings, logger: Logger, tokens: TokenCodec, metrics: PrometheusCollectorRegistry = .init()) {
        self.settings = settings
        self.logger = logger
        self.tokens = tokens
        self.metrics = metrics
    }

    public static func make(settings: Settings, logger: Logger) async -> KernelEnvironment {
        KernelEnvironment(settings: settings, logger: logger, tokens: await TokenCodec(secret: settings.jwtSecret))
    }
}
