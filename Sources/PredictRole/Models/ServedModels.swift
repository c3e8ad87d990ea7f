import Atomics
import Kernel

/// Everything the role serves at one moment: the champion, the pinned versions and the
/// challenger with its setting. Immutable; a change of plan or champion swaps in a new one.
final class ServedModels: Sendable, AtomicReference {
    let champion: LoadedModel?
    let pinned: [LoadedModel]
    let challenger: LoadedModel?
    let mode: Challenger.Mode
    /// Of unaddressed requests, answered by the challenger (canary only).
    let share: Double

    init(champion: LoadedModel?, pinned: [LoadedModel] = [], challenger: LoadedModel? = nil, mode: Challenger.Mode = .canary, share: Double = 0) {
        self.champion = champion
        self.pinned = pinned
        self.challenger = challenger
        self.mode = mode
        self.share = challenger == nil ? 0 : share
    }

    static let none = ServedModels(champion: nil)

    var all: [LoadedModel] { (champion.map { [$0] } ?? []) + pinned + (challenger.map { [$0] } ?? []) }

    /// The shadow that should see a copy of what the champion answers, if any.
    var shadow: LoadedModel? { mode == .shadow ? challenger : nil }

    enum Choice {
        case model(LoadedModel)
        case noChampion
        case unknownName(String, loaded: [String])
        case unknownVersion(String, loaded: [String])
        case noChallenger
    }

    /// The model a request asks for: by name (and version), by alias, or else the champion, or
    /// the canary challenger for its share of request ids.
    func choose(name: String?, version: String?, alias: Arm?, requestID: String) -> Choice {
        if let alias {
            switch alias {
            case .challenger: return challenger.map { .model($0) } ?? .noChallenger
            case .champion, .pinned: return champion.map { .model($0) } ?? .noChampion
            }
        }
        if let name {
            let named = all.filter { $0.name == name }
            guard !named.isEmpty else { return .unknownName(name, loaded: Array(Set(all.map(\.name))).sorted()) }
            guard let version else {
                // The champion when it bears the name; else the newest pinned version.
                let preferred = named.first { $0.arm == .champion } ?? named.filter { $0.arm == .pinned }.max { Self.older($0.version, $1.version) }
                return .model(preferred ?? named[0])
            }
            // A version named is served by its pinned arm when there is one, so the requests
            // that name it keep their series when the champion moves on.
            let exact = named.filter { $0.version == version }
            guard let chosen = exact.first(where: { $0.arm == .pinned }) ?? exact.first else {
                return .unknownVersion(version, loaded: Array(Set(named.map(\.version))).sorted())
            }
            return .model(chosen)
        }
        guard let champion else { return .noChampion }
        if mode == .canary, let challenger, share > 0, CanarySplit.fraction(of: requestID) < share {
            return .model(challenger)
        }
        return .model(champion)
    }

    /// Registry versions are numbers; anything else compares as text.
    private static func older(_ left: String, _ right: String) -> Bool {
        if let l = Int(left), let r = Int(right) { return l < r }
        return left < right
    }
}
