import Synchronization

/// Tells whoever follows the champion in this process that it has just changed. In `--role all`
/// the train role's promotion reaches the predict role's loader directly and waits for it, so the
/// first prediction after a promotion already gets the new model; between processes the loader's
/// poll of `champion.json` carries the change.
public final class ChampionChanges: Sendable {
    public typealias Follower = @Sendable () async -> Void

    private let followers = Mutex<[Follower]>([])

    public init() {}

    public func follow(_ follower: @escaping Follower) {
        followers.withLock { $0.append(follower) }
    }

    /// Returns once every follower has dealt with the change.
    public func announce() async {
        let current = followers.withLock { $0 }
        for follower in current {
            await follower()
        }
    }
}
