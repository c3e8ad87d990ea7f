import Foundation

/// What the predict role serves beside the champion: model versions an admin pinned, addressed
/// by name, and at most one challenger that answers a share of the unaddressed traffic (canary)
/// or predicts on a copy of it without answering (shadow). Kept beside the champion in its
/// store, so every replica follows the same plan.
public struct ServingPlan: Codable, Sendable, Equatable {
    public var pinned: [ChampionPointer]
    public var challenger: Challenger?
    public var changedAt: Date
    public var changedBy: String

    public init(pinned: [ChampionPointer] = [], challenger: Challenger? = nil, changedAt: Date = Date(), changedBy: String = "") {
        self.pinned = pinned
        self.challenger = challenger
        self.changedAt = changedAt
        self.changedBy = changedBy
    }

    public static let empty = ServingPlan(changedAt: Date(timeIntervalSince1970: 0))

    /// Every model the plan names: the pinned versions, then the challenger.
    public var models: [ChampionPointer] { pinned + (challenger.map { [$0.model] } ?? []) }

    enum CodingKeys: String, CodingKey {
        case pinned, challenger
        case changedAt = "changed_at"
        case changedBy = "changed_by"
    }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return try encoder.encode(self)
    }

    static func decoded(from data: Data) throws -> ServingPlan {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(ServingPlan.self, from: data)
    }
}

/// A model tried against the champion before it is promoted.
public struct Challenger: Codable, Sendable, Equatable {
    public enum Mode: String, Codable, Sendable, CaseIterable {
        /// `share` of the requests that name no model are answered by the challenger.
        case canary
        /// The champion answers everything; the challenger predicts on a copy, off the request
        /// path, and only its agreement with the champion is recorded.
        case shadow
    }

    public var model: ChampionPointer
    public var share: Double
    public var mode: Mode

    public init(model: ChampionPointer, share: Double, mode: Mode) {
        self.model = model
        self.share = share
        self.mode = mode
    }
}

extension ChampionPointer {
    /// Where a served bundle is kept, relative to `MLOPSD_MODELS_DIR`: one file per bundle, named
    /// so no registered name can leave the directory. The MD5's first characters keep apart names
    /// that differ only in characters the file name replaces (`my exp` and `my_exp`).
    public static func bundlePath(modelName: String, version: String, md5: String) -> String {
        "champion/\(safe(modelName))-v\(safe(version))-\(safe(String(md5.prefix(12)))).mlbundle"
    }

    private static func safe(_ text: String) -> String {
        String(text.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" }).replacingOccurrences(of: "..", with: "_")
    }
}
