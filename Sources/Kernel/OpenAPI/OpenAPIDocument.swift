/// Builds a role's OpenAPI 3.1 document: the kernel's endpoints (health, readiness, jobs) plus
/// the paths the role module declares, all under the role's prefix.
public enum OpenAPIDocument {
    public static func build(for module: RoleModule) -> JSONValue {
        let prefix = module.role.apiPrefix
        var paths: [String: JSONValue] = [:]
        for (path, item) in kernelPaths(hasJobs: module.jobRunner != nil) {
            paths[prefix + path] = item
        }
        if case .object(let rolePaths) = module.openAPIPaths {
            for (path, item) in rolePaths { paths[prefix + path] = item }
        }
        paths = paths.mapValues(withStandardResponses)
        var schemas: [String: JSONValue] = kernelSchemas
        if case .object(let roleSchemas)? = module.openAPIComponents["schemas"] {
            schemas.merge(roleSchemas) { _, role in role }
        }
        return .object([
            "openapi": "3.1.0",
            "info": .object([
                "title": .string("mlopsd \(module.role.rawValue) API"),
                "version": .string(MLOpsVersion.current),
                "description": .string(module.summary),
            ]),
            "paths": .object(paths),
            "components": .object([
                "schemas": .object(schemas),
                "securitySchemes": .object([
                    "bearerAuth": .object(["type": "http", "scheme": "bearer", "bearerFormat": "JWT"])
                ]),
            ]),
        ])
    }

    private static let operationKeys = ["get", "put", "post", "delete", "patch"]

    /// The error responses every operation of a kind can give, added where the role's document
    /// does not describe them itself: the kernel produces these for every route (body checks,
    /// guards) and nginx adds 429 in front of every route.
    static func withStandardResponses(_ item: JSONValue) -> JSONValue {
        guard case .object(var members) = item else { return item }
        let pathParameters = members["parameters"] != nil
        for key in operationKeys {
            guard case .object(var operation)? = members[key], case .object(var responses)? = operation["responses"] else { continue }
            func add(_ status: String, _ description: String) {
                if responses[status] == nil { responses[status] = errorResponse(description) }
            }
            if operation["requestBody"] != nil {
                add("400", "The body is not valid JSON (or form data)")
                add("413", "The body exceeds the size limit")
                add("415", "Unsupported Content-Type")
            }
            if operation["requestBody"] != nil || operation["parameters"] != nil || pathParameters {
                add("422", "A field is invalid; details name it")
            }
            if operation["security"] != nil {
                add("401", "Missing, malformed or expired bearer token")
                add("403", "The token's role may not use this operation")
            }
            add("429", "Rate limited (nginx zones, or repeated failed logins); see Retry-After")
            operation["responses"] = .object(responses)
            members[key] = .object(operation)
        }
        return .object(members)
    }

    /// `{"$ref": "#/components/schemas/NAME"}`
    public static func ref(_ name: String) -> JSONValue {
        .object(["$ref": .string("#/components/schemas/\(name)")])
    }

    /// A JSON response object referencing a schema.
    public static func jsonResponse(_ description: String, schema: String) -> JSONValue {
        .object([
            "description": .string(description),
            "content": .object(["application/json": .object(["schema": ref(schema)])]),
        ])
    }

    public static func errorResponse(_ description: String) -> JSONValue {
        jsonResponse(description, schema: "Error")
    }

    static func kernelPaths(hasJobs: Bool) -> [String: JSONValue] {
        var paths: [String: JSONValue] = [
            "/health": .object([
                "get": .object([
                    "summary": "Liveness: the process is up",
                    "operationId": "health",
                    "responses": .object(["200": jsonResponse("Alive", schema: "Health")]),
                ])
            ]),
            "/ready": .object([
                "get": .object([
                    "summary": "Readiness: the role's databases answer",
                    "operationId": "ready",
                    "responses": .object([
                        "200": jsonResponse("Ready", schema: "Readiness"),
                        "503": errorResponse("Not ready"),
                    ]),
                ])
            ]),
            "/openapi.json": .object([
                "get": .object([
                    "summary": "This document",
                    "operationId": "openapi",
                    "responses": .object(["200": .object(["description": "OpenAPI 3.1 document"])]),
                ])
            ]),
        ]
        guard hasJobs else { return paths }
        let secured: JSONValue = .array([.object(["bearerAuth": .array([])])])
        let jobID: JSONValue = .object(["name": "job_id", "in": "path", "required": true, "schema": .object(["type": "string"])])
        paths["/status/{job_id}"] = .object([
            "get": .object([
                "summary": "Status of one job",
                "operationId": "jobStatus",
                "security": secured,
                "parameters": .array([jobID]),
                "responses": .object(["200": jsonResponse("The job", schema: "Job"), "404": errorResponse("Unknown job")]),
            ])
        ])
        paths["/jobs"] = .object([
            "get": .object([
                "summary": "List jobs, newest first",
                "operationId": "listJobs",
                "security": secured,
                "parameters": .array([
                    .object([
                        "name": "status", "in": "query",
                        "schema": .object(["type": "string", "enum": .array(JobStatus.allCases.map { .string($0.rawValue) })]),
                    ]),
                    .object(["name": "type", "in": "query", "schema": .object(["type": "string"])]),
                    .object(["name": "limit", "in": "query", "schema": .object(["type": "integer", "minimum": 1, "maximum": 200, "default": 50])]),
                    .object(["name": "offset", "in": "query", "schema": .object(["type": "integer", "minimum": 0, "default": 0])]),
                ]),
                "responses": .object(["200": jsonResponse("A page of jobs", schema: "JobPage"), "422": errorResponse("Bad filter")]),
            ])
        ])
        paths["/jobs/{job_id}/cancel"] = .object([
            "post": .object([
                "summary": "Cancel a pending or running job (cooperative)",
                "operationId": "cancelJob",
                "security": secured,
                "parameters": .array([jobID]),
                "responses": .object([
                    "200": jsonResponse("The job after the request", schema: "Job"),
                    "404": errorResponse("Unknown job"),
                    "409": errorResponse("Job already finished"),
                ]),
            ])
        ])
        return paths
    }

    static let kernelSchemas: [String: JSONValue] = [
        "Error": .object([
            "type": "object",
            "required": .array(["error"]),
            "properties": .object([
                "error": .object([
                    "type": "object",
                    "required": .array(["code", "message", "details"]),
                    "properties": .object([
                        "code": .object(["type": "string"]),
                        "message": .object(["type": "string"]),
                        "details": .object([
                            "type": "array",
                            "items": .object([
                                "type": "object",
                                "properties": .object(["field": .object(["type": "string"]), "problem": .object(["type": "string"])]),
                            ]),
                        ]),
                    ]),
                ])
            ]),
        ]),
        "Health": .object([
            "type": "object",
            "properties": .object([
                "status": .object(["type": "string"]),
                "role": .object(["type": "string"]),
                "version": .object(["type": "string"]),
                "uptime_seconds": .object(["type": "number"]),
            ]),
        ]),
        "Readiness": .object([
            "type": "object",
            "properties": .object(["status": .object(["type": "string"]), "checks": .object(["type": "object"])]),
        ]),
        "Job": .object([
            "type": "object",
            "properties": .object([
                "job_id": .object(["type": "string"]),
                "job_type": .object(["type": "string"]),
                "status": .object(["type": "string", "enum": .array(JobStatus.allCases.map { .string($0.rawValue) })]),
                "progress": .object(["type": "integer", "minimum": 0, "maximum": 100]),
                "message": .object(["type": .array(["string", "null"])]),
                "params": .object([:]),
                "result": .object([:]),
                "error": .object(["type": .array(["string", "null"])]),
                "created_by": .object(["type": "string"]),
                "created_at": .object(["type": "string", "format": "date-time"]),
                "started_at": .object(["type": .array(["string", "null"]), "format": "date-time"]),
                "completed_at": .object(["type": .array(["string", "null"]), "format": "date-time"]),
            ]),
        ]),
        "JobPage": .object([
            "type": "object",
            "properties": .object([
                "jobs": .object(["type": "array", "items": ref("Job")]),
                "total": .object(["type": "integer"]),
                "limit": .object(["type": "integer"]),
                "offset": .object(["type": "integer"]),
            ]),
        ]),
        "JobAccepted": .object([
            "type": "object",
            "properties": .object([
                "job_id": .object(["type": "string"]),
                "job_type": .object(["type": "string"]),
                "status": .object(["type": "string"]),
                "status_url": .object(["type": "string"]),
            ]),
        ]),
    ]
}
