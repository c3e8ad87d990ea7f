/// A role's OpenAPI document as served at `<prefix>/openapi.json`: the JSON cut from the
/// repository's `openapi.yaml` at generation time, with the running version stamped in.
public struct OpenAPIDocument: Sendable {
    public let content: JSONValue

    public init(json: String) throws {
        var content = try JSONValue(jsonString: json)
        if case .object(var info)? = content["info"], case .object(var members) = content {
            info["version"] = .string(MLOpsVersion.current)
            members["info"] = .object(info)
            content = .object(members)
        }
        self.content = content
    }

    /// Every operation the document lists, as method and path.
    public var operations: Set<RouteEntry> {
        guard case .object(let paths)? = content["paths"] else { return [] }
        var operations: Set<RouteEntry> = []
        for (path, item) in paths {
            guard case .object(let members) = item else { continue }
            for method in members.keys where method != "parameters" {
                operations.insert(RouteEntry(method: method.uppercased(), path: path))
            }
        }
        return operations
    }

    /// `{"$ref": "#/components/parameters/Limit"}` → what it names; anything else as it is.
    static func resolve(_ node: JSONValue, in document: JSONValue) -> JSONValue {
        guard let reference = node["$ref"]?.stringValue, reference.hasPrefix("#/") else { return node }
        return reference.dropFirst(2).split(separator: "/").reduce(document) { node, key in node[String(key)] ?? .null }
    }
}
