/// Which served model answered a request, as responses and metrics name it.
enum Arm: String, Sendable, CaseIterable {
    case champion
    /// The challenger of a canary or a shadow.
    case challenger
    /// A version named in the request.
    case pinned

    var code: UInt8 {
        switch self {
        case .champion: 0
        case .challenger: 1
        case .pinned: 2
        }
    }

    init?(code: UInt8) {
        guard let arm = Self.allCases.first(where: { $0.code == code }) else { return nil }
        self = arm
    }
}
