import Kernel

/// The data role's part of its OpenAPI 3.1 document. Paths are relative to `/api/v1/data`;
/// a test holds this list to the routes the role actually registers.
enum DataOpenAPI {
    static func paths() throws -> JSONValue { try JSONValue(jsonString: pathsJSON) }
    static func components() throws -> JSONValue { try JSONValue(jsonString: componentsJSON) }

    private static let pathsJSON = #"""
        {
          "/datasets": {
            "post": {
              "summary": "Upload a CSV: stored under raw/, hashed, parsed, profiled and tracked with a .dvc file",
              "description": "Send the file as a raw text/csv body (name in ?name=) or as multipart/form-data with a `file` part and an optional `name` part. Identical bytes are registered once: a second upload answers 200 with the first registration.",
              "operationId": "uploadDataset",
              "security": [{"bearerAuth": []}],
              "parameters": [{"name": "name", "in": "query", "required": false, "schema": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"}}],
              "requestBody": {
                "required": true,
                "content": {
                  "text/csv": {"schema": {"type": "string"}},
                  "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {"file": {"type": "string", "contentMediaType": "text/csv"}, "name": {"type": "string"}}}}
                }
              },
              "responses": {
                "201": {"description": "Registered", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DatasetDetail"}}}},
                "200": {"description": "The same bytes were already registered", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DatasetDetail"}}}},
                "400": {"description": "Malformed multipart body", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "401": {"description": "Missing or invalid access token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "403": {"description": "Not an admin", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "413": {"description": "Larger than MLOPSD_MAX_UPLOAD_BYTES", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "415": {"description": "Neither text/csv nor multipart/form-data", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "422": {"description": "Empty, binary or unreadable CSV (with line and column), header only, or an invalid name", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "503": {"description": "Too many uploads being parsed at once; see Retry-After", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            },
            "get": {
              "summary": "Registered datasets, newest first",
              "operationId": "listDatasets",
              "security": [{"bearerAuth": []}],
              "parameters": [
                {"name": "name", "in": "query", "required": false, "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
                {"name": "offset", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0, "default": 0}}
              ],
              "responses": {
                "200": {"description": "One page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DatasetPage"}}}},
                "422": {"description": "Bad paging parameters", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            }
          },
          "/datasets/{id}": {
            "get": {
              "summary": "A dataset with its schema and profile",
              "operationId": "getDataset",
              "security": [{"bearerAuth": []}],
              "parameters": [{"name": "id", "in": "path", "required": true, "schema": {"type": "string"}}],
              "responses": {
                "200": {"description": "Dataset", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DatasetDetail"}}}},
                "404": {"description": "Unknown id", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            }
          },
          "/preprocess": {
            "post": {
              "summary": "Queue preprocessing: clean, detect the task, split train/test (stratified for classification)",
              "description": "The result is a processed version under processed/<version>/ (train.csv, test.csv, schema.json, report.json, manifest.json). Versions are content-addressed: the same dataset and parameters give the same version, which is not computed twice.",
              "operationId": "preprocess",
              "security": [{"bearerAuth": []}],
              "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PreprocessRequest"}}}},
              "responses": {
                "202": {"description": "Queued; poll the Location", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobAccepted"}}}},
                "404": {"description": "Unknown dataset_id", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "422": {"description": "A field is invalid: target missing from the dataset, all-missing or single-valued target, test_size out of range…", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            }
          },
          "/build-features": {
            "post": {
              "summary": "Queue feature building: fit imputation, encoding, scaling and date-time expansion on the train split",
              "operationId": "buildFeatures",
              "security": [{"bearerAuth": []}],
              "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BuildFeaturesRequest"}}}},
              "responses": {
                "202": {"description": "Queued; poll the Location", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobAccepted"}}}},
                "404": {"description": "Unknown processed_version", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "422": {"description": "Invalid options", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            }
          },
          "/versions": {
            "get": {
              "summary": "Published data versions (processed splits and feature sets), newest first",
              "operationId": "listDataVersions",
              "security": [{"bearerAuth": []}],
              "parameters": [
                {"name": "kind", "in": "query", "required": false, "schema": {"type": "string", "enum": ["processed", "features"]}},
                {"name": "parent", "in": "query", "required": false, "description": "Dataset id or processed version it was made from", "schema": {"type": "string"}},
                {"name": "limit", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}},
                {"name": "offset", "in": "query", "required": false, "schema": {"type": "integer", "minimum": 0, "default": 0}}
              ],
              "responses": {
                "200": {"description": "One page", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DataVersionPage"}}}},
                "422": {"description": "Bad filter or paging parameters", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            }
          },
          "/versions/{version}": {
            "get": {
              "summary": "One data version with its manifest (lineage, parameters, report)",
              "operationId": "getDataVersion",
              "security": [{"bearerAuth": []}],
              "parameters": [{"name": "version", "in": "path", "required": true, "schema": {"type": "string"}}],
              "responses": {
                "200": {"description": "Data version", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/DataVersion"}}}},
                "404": {"description": "Unknown version", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            }
          }
        }
        """#

    private static let componentsJSON = #"""
        {
          "schemas": {
            "DatasetSummary": {
              "type": "object",
              "required": ["id", "name", "md5", "size", "rows", "columns", "path", "uploaded_by", "created_at"],
              "properties": {
                "id": {"type": "string", "examples": ["ds-3b36575dd719e733"]},
                "name": {"type": "string"},
                "md5": {"type": "string", "description": "MD5 of the uploaded bytes, as DVC records it"},
                "size": {"type": "integer", "description": "Bytes"},
                "rows": {"type": "integer"},
                "columns": {"type": "integer"},
                "path": {"type": "string", "description": "Relative to MLOPSD_DATA_DIR", "examples": ["raw/ds-3b36575dd719e733.csv"]},
                "uploaded_by": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"}
              }
            },
            "DatasetDetail": {
              "allOf": [
                {"$ref": "#/components/schemas/DatasetSummary"},
                {
                  "type": "object",
                  "required": ["schema", "profile"],
                  "properties": {
                    "schema": {"type": "object", "properties": {"columns": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "kind": {"type": "string", "enum": ["numeric", "categorical", "boolean", "datetime"]}, "nullable": {"type": "boolean"}}}}}},
                    "profile": {"type": "object", "description": "Rows, duplicate rows, and per column: kind, missing, distinct, min/max/mean/std or top values, flags (constant, id_like…)"}
                  }
                }
              ]
            },
            "DatasetPage": {
              "type": "object",
              "required": ["datasets", "total", "limit", "offset"],
              "properties": {
                "datasets": {"type": "array", "items": {"$ref": "#/components/schemas/DatasetSummary"}},
                "total": {"type": "integer"},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"}
              }
            },
            "PreprocessRequest": {
              "type": "object",
              "required": ["dataset_id", "target"],
              "properties": {
                "dataset_id": {"type": "string"},
                "target": {"type": "string"},
                "task": {"type": "string", "enum": ["classification", "regression"], "description": "Detected from the target when omitted"},
                "drop": {"type": "array", "items": {"type": "string"}},
                "test_size": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "default": 0.3},
                "seed": {"type": "integer", "minimum": 0, "default": 42},
                "max_missing_fraction": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.7},
                "dedupe": {"type": "boolean", "default": true}
              }
            },
            "BuildFeaturesRequest": {
              "type": "object",
              "required": ["processed_version"],
              "properties": {
                "processed_version": {"type": "string"},
                "options": {
                  "type": "object",
                  "properties": {
                    "encoding": {"type": "string", "enum": ["one_hot", "ordinal"], "default": "one_hot"},
                    "scale": {"type": "boolean", "default": true},
                    "max_categories": {"type": "integer", "minimum": 1, "default": 20},
                    "min_frequency": {"type": "integer", "minimum": 1, "default": 1},
                    "missing_indicators": {"type": "boolean", "default": false},
                    "expand_datetime": {"type": "boolean", "default": true},
                    "imbalance": {"type": "string", "enum": ["none", "class_weights", "smote"], "default": "none"}
                  }
                }
              }
            },
            "DataVersion": {
              "type": "object",
              "required": ["version", "kind", "parent", "md5", "size", "nfiles", "path", "created_by", "created_at", "manifest"],
              "properties": {
                "version": {"type": "string", "examples": ["pp-0f3c2a9d81e4b7c6"]},
                "kind": {"type": "string", "enum": ["processed", "features"]},
                "parent": {"type": "string", "description": "Dataset id (processed) or processed version (features)"},
                "md5": {"type": "string", "description": "The directory's DVC hash (<md5>.dir)"},
                "size": {"type": "integer"},
                "nfiles": {"type": "integer"},
                "path": {"type": "string"},
                "job_id": {"type": ["string", "null"]},
                "created_by": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"},
                "manifest": {"type": "object", "description": "Inputs with their MD5s (lineage), parameters, target, task, and the report or summary"}
              }
            },
            "DataVersionPage": {
              "type": "object",
              "required": ["versions", "total", "limit", "offset"],
              "properties": {
                "versions": {"type": "array", "items": {"$ref": "#/components/schemas/DataVersion"}},
                "total": {"type": "integer"},
                "limit": {"type": "integer"},
                "offset": {"type": "integer"}
              }
            }
          }
        }
        """#
}
