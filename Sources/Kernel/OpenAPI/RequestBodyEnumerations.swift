import OpenAPIRuntime

/// The enumerated fields of an operation's JSON body as its document declares them, so that a value
/// outside one is refused naming the values it may take (the generated decoder only says it could
/// not read the field).
struct RequestBodyEnumerations: Sendable {
    /// Allowed values by field path (`role`, `options.encoding`; array items share their array's path).
    let allowed: [String: [String]]

    init(document: OpenAPIDocument, method: String, path: String) {
        let content = document.content
        let schema = content["paths"]?[path]?[method.lowercased()]?["requestBody"]?["content"]?["application/json"]?["schema"]
        var allowed: [String: [String]] = [:]
        func walk(_ node: JSONValue?, at field: String, depth: Int) {
            guard depth < 8, let node = node.map({ OpenAPIDocument.resolve($0, in: content) }) else { return }
            if case .array(let values)? = node["enum"], !field.isEmpty {
                allowed[field] = values.compactMap(\.stringValue)
            }
            if case .object(let properties)? = node["properties"] {
                for (name, property) in properties { walk(property, at: field.isEmpty ? name : "\(field).\(name)", depth: depth + 1) }
            }
            walk(node["items"], at: field, depth: depth + 1)
        }
        walk(schema, at: "", depth: 0)
        self.allowed = allowed
    }

    /// A clearer refusal for a generated handler's decoding error, when it concerns an enumeration.
    func refusal(for error: ServerError) -> APIError? {
        guard case .dataCorrupted(let context)? = error.underlyingError as? DecodingError, !context.codingPath.isEmpty else { return nil }
        let key = context.codingPath.filter { $0.intValue == nil }.map(\.stringValue).joined(separator: ".")
        guard let values = allowed[key] else { return nil }
        return .validation(field: RequestDecoding.fieldPath(context.codingPath), problem: "expected one of \(values.joined(separator: ", "))")
    }
}
