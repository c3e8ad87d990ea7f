import Hummingbird

/// The fields of an operation's JSON body that its document does not let be `null`. The generated
/// decoder reads an explicit `null` as "left out", so a body could send `null` where the contract
/// says an object or a string; like a FastAPI service, the role refuses it naming the field.
struct RequestBodyNulls: Sendable {
    /// Field paths (`metric`, `options.encoding`; an array's items are `models[]`).
    let refused: Set<String>

    init(document: OpenAPIDocument, method: String, path: String) {
        let content = document.content
        let schema = content["paths"]?[path]?[method.lowercased()]?["requestBody"]?["content"]?["application/json"]?["schema"]
        var refused: Set<String> = []
        func walk(_ node: JSONValue?, at field: String, depth: Int) {
            guard depth < 8, let node = node.map({ OpenAPIDocument.resolve($0, in: content) }) else { return }
            if !field.isEmpty, !Self.allowsNull(node) { refused.insert(field) }
            if case .object(let properties)? = node["properties"] {
                for (name, property) in properties { walk(property, at: field.isEmpty ? name : "\(field).\(name)", depth: depth + 1) }
            }
            if case .array(let parts)? = node["allOf"] {
                for part in parts { walk(part, at: field, depth: depth + 1) }
            }
            walk(node["items"], at: field + "[]", depth: depth + 1)
        }
        walk(schema, at: "", depth: 0)
        self.refused = refused
    }

    /// A schema that names its type(s) without `null`; one that names none takes anything.
    static func allowsNull(_ schema: JSONValue) -> Bool {
        switch schema["type"] {
        case .string(let type)?: return type == "null"
        case .array(let types)?: return types.contains(.string("null"))
        default:
            if case .array(let values)? = schema["enum"] { return values.contains(.null) }
            return schema["properties"] == nil && schema["items"] == nil
        }
    }

    /// A 422 naming the first field of a JSON body sent as `null` that may not be.
    func check(_ body: ByteBuffer, contentType: String?) throws {
        guard contentType.flatMap({ MediaType(from: $0) })?.isType(.applicationJson) == true else { return }
        // Most bodies hold no null at all: they are not parsed here.
        guard !refused.isEmpty, body.readableBytesView.firstRange(of: Array("null".utf8)) != nil,
            let document = try? JSONParser.parse(body)
        else { return }
        if let field = firstRefusedNull(in: document, schemaPath: "", fieldPath: "") {
            throw APIError.validation(field: field, problem: "must not be null")
        }
    }

    /// `schemaPath` names the property in the document (`models[]`), `fieldPath` the value in the
    /// body (`models[2]`).
    private func firstRefusedNull(in node: JSONValue, schemaPath: String, fieldPath: String) -> String? {
        switch node {
        case .null:
            return refused.contains(schemaPath) ? fieldPath : nil
        case .object(let members):
            for key in members.keys.sorted() {
                guard let value = members[key] else { continue }
                let schema = schemaPath.isEmpty ? key : "\(schemaPath).\(key)"
                if let found = firstRefusedNull(in: value, schemaPath: schema, fieldPath: fieldPath.isEmpty ? key : "\(fieldPath).\(key)") {
                    return found
                }
            }
            return nil
        case .array(let values):
            for (index, value) in values.enumerated() {
                if let found = firstRefusedNull(in: value, schemaPath: schemaPath + "[]", fieldPath: "\(fieldPath)[\(index)]") { return found }
            }
            return nil
        default:
            return nil
        }
    }
}
