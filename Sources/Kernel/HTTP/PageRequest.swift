import Hummingbird

/// `?limit=&offset=` for list endpoints: 1–200 items, 50 by default.
public struct PageRequest: Sendable, Equatable {
    public var limit = 50
    public var offset = 0

    public init(_ request: Request) throws {
        let parameters = request.uri.queryParameters
        var problems: [FieldProblem] = []
        if let text = parameters.get("limit") {
            if let value = Int(text), (1...200).contains(value) {
                limit = value
            } else {
                problems.append(.init(field: "limit", problem: "expected a whole number from 1 to 200"))
            }
        }
        if let text = parameters.get("offset") {
            if let value = Int(text), value >= 0 {
                offset = value
            } else {
                problems.append(.init(field: "offset", problem: "expected a whole number ≥ 0"))
            }
        }
        guard problems.isEmpty else { throw APIError.validation(problems) }
    }
}
