import Hummingbird

/// An operation's query parameters as its OpenAPI document declares them, checked before the
/// generated code converts them: it would refuse `?limit=abc` with a 400 that names no field, and
/// does not check ranges or enumerations at all. Refusals are 422s naming each parameter.
struct QueryParameterRules: Sendable {
    struct Rule: Sendable {
        enum Kind: Sendable {
            case integer, number, boolean, string
        }

        var name: String
        var kind: Kind
        var minimum: Double?
        var maximum: Double?
        var allowed: [String]?
        var required: Bool

        func problem(with text: Substring) -> String? {
            if let allowed, !allowed.contains(String(text)) { return "expected one of \(allowed.joined(separator: ", "))" }
            switch kind {
            case .string:
                return nil
            case .boolean:
                return text == "true" || text == "false" ? nil : "expected true or false"
            case .integer:
                guard let value = Int(text), inRange(Double(value)) else { return "expected a whole number\(rangeDescription)" }
                return nil
            case .number:
                guard let value = Double(text), value.isFinite, inRange(value) else { return "expected a number\(rangeDescription)" }
                return nil
            }
        }

        private func inRange(_ value: Double) -> Bool {
            (minimum.map { value >= $0 } ?? true) && (maximum.map { value <= $0 } ?? true)
        }

        private var rangeDescription: String {
            switch (minimum, maximum) {
            case (let low?, let high?): " from \(Self.text(low)) to \(Self.text(high))"
            case (let low?, nil): " ≥ \(Self.text(low))"
            case (nil, let high?): " ≤ \(Self.text(high))"
            case (nil, nil): ""
            }
        }

        private static func text(_ value: Double) -> String {
            value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        }
    }

    let rules: [Rule]

    /// The rules of the operation at `path` (the document's, absolute) and `method`.
    init(document: OpenAPIDocument, method: String, path: String) {
        let content = document.content
        let item = content["paths"]?[path]
        var declared: [JSONValue] = []
        for scope in [item?["parameters"], item?[method.lowercased()]?["parameters"]] {
            if case .array(let parameters)? = scope { declared += parameters }
        }
        rules = declared.compactMap { parameter in
            let resolved = OpenAPIDocument.resolve(parameter, in: content)
            guard resolved["in"]?.stringValue == "query", let name = resolved["name"]?.stringValue else { return nil }
            let schema = resolved["schema"] ?? .null
            let kind: Rule.Kind =
                switch schema["type"]?.stringValue {
                case "integer": .integer
                case "number": .number
                case "boolean": .boolean
                default: .string
                }
            var allowed: [String]?
            if case .array(let values)? = schema["enum"] { allowed = values.compactMap(\.stringValue) }
            return Rule(
                name: name, kind: kind, minimum: schema["minimum"]?.doubleValue, maximum: schema["maximum"]?.doubleValue, allowed: allowed,
                required: resolved["required"] == .bool(true))
        }
    }

    func check(_ request: Request) throws {
        let query = request.uri.queryParameters
        var problems: [FieldProblem] = []
        for rule in rules {
            let values = query.getAll(rule.name)
            if values.isEmpty {
                if rule.required { problems.append(FieldProblem(field: rule.name, problem: "field required")) }
                continue
            }
            if let problem = values.lazy.compactMap({ rule.problem(with: Substring($0)) }).first {
                problems.append(FieldProblem(field: rule.name, problem: problem))
            }
        }
        guard problems.isEmpty else { throw APIError.validation(problems) }
    }
}
