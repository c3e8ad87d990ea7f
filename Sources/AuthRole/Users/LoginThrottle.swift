import Foundation

/// Per-username brute-force brake: after `maxFailures` failed logins within `window`, further
/// attempts for that name are refused until the oldest failure leaves the window. Unknown
/// usernames are throttled the same way, so the brake reveals nothing about which names exist.
public actor LoginThrottle {
    private let maxFailures: Int
    private let window: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private var failures: [String: [ContinuousClock.Instant]] = [:]
    /// Bound on tracked names, so a flood of random usernames cannot grow memory without limit.
    private let capacity = 10_000

    public init(maxFailures: Int, window: Duration, now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.maxFailures = maxFailures
        self.window = window
        self.now = now
    }

    /// Seconds to wait before trying again, or nil when an attempt is allowed now.
    public func retryAfter(username: String) -> Int? {
        let key = username.lowercased()
        let recent = prune(key)
        guard recent.count >= maxFailures, let oldest = recent.first else { return nil }
        let wait = (oldest + window) - now()
        return max(1, Int(wait.components.seconds) + (wait.components.attoseconds > 0 ? 1 : 0))
    }

    public func recordFailure(username: String) {
        let key = username.lowercased()
        var recent = prune(key)
        recent.append(now())
        failures[key] = recent
        if failures.count > capacity {
            for name in failures.keys where prune(name).isEmpty { failures[name] = nil }
        }
    }

    public func recordSuccess(username: String) {
        failures[username.lowercased()] = nil
    }

    private func prune(_ key: String) -> [ContinuousClock.Instant] {
        let cutoff = now() - window
        let recent = (failures[key] ?? []).filter { $0 > cutoff }
        failures[key] = recent.isEmpty ? nil : recent
        return recent
    }
}
