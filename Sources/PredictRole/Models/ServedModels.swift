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

/// A request id's place in [0, 1): the same id always lands in the same place, so a retry that
/// repeats its `X-Request-ID` gets the model that answered first, and distinct ids spread evenly.
enum CanarySplit {
    static func fraction(of requestID: String) -> Double {
        // FNV-1a, then a finaliser that spreads ids differing only in their last characters.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in requestID.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash = hash &* 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return Double(hash >> 11) / Double(UInt64(1) << 53)
    }
}

/// What is being served. Readers take the current set with one atomic load — no lock on the
/// prediction path; a reload stores a new reference, and the old models live on until the last
/// request holding them finishes.
final class ModelSlot: Sendable {
    private let current = ManagedAtomic<ServedModels>(.none)

    var served: ServedModels { current.load(ordering: .acquiring) }
    var model: LoadedModel? { served.champion }

    func replace(with served: ServedModels) {
        current.store(served, ordering: .releasing)
    }
}
