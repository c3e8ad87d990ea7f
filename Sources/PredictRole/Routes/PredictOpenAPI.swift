import Kernel

/// The predict role's part of its OpenAPI 3.1 document. Paths are relative to `/api/v1/predict`;
/// a test holds this list to the routes the role actually registers.
enum PredictOpenAPI {
    static func paths() throws -> JSONValue { try JSONValue(jsonString: pathsJSON) }
    static func components() throws -> JSONValue { try JSONValue(jsonString: componentsJSON) }

    private static let pathsJSON = #"""
        {
          "": {
            "post": {
              "summary": "Predict one record with the champion (or the named loaded model)",
              "operationId": "predict",
              "security": [{"bearerAuth": []}],
              "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PredictRequest"}}}},
              "responses": {
                "200": {"description": "Prediction", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PredictionResponse"}}}},
                "401": {"description": "Missing or invalid access token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "404": {"description": "model_name is not loaded", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "422": {"description": "A feature is missing, of the wrong type or an unknown category: details name features.<column>", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "503": {"description": "No champion loaded yet", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            }
          },
          "/batch": {
            "post": {
              "summary": "Predict many records: a bad record yields its errors, the others their predictions",
              "operationId": "predictBatch",
              "security": [{"bearerAuth": []}],
              "parameters": [{"name": "model_name", "in": "query", "required": false, "description": "For text/csv bodies", "schema": {"type": "string"}}],
              "requestBody": {"required": true, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/BatchRequest"}},
                "text/csv": {"schema": {"type": "string"}}
              }},
              "responses": {
                "200": {"description": "One entry per record, null where errors explain why", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/BatchResponse"}}}},
                "413": {"description": "More records than MLOPSD_PREDICT_MAX_BATCH, or a body over the limit", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "404": {"description": "model_name is not loaded", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "422": {"description": "No records, or an unreadable CSV", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "503": {"description": "No champion loaded yet", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            }
          },
          "/models": {
            "get": {
              "summary": "Loaded models with version, task, input schema and metrics",
              "operationId": "listLoadedModels",
              "security": [{"bearerAuth": []}],
              "responses": {"200": {"description": "Loaded models", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LoadedModels"}}}}}
            }
          },
          "/reload": {
            "post": {
              "summary": "Load the champion now (it is also picked up on its own within MLOPSD_PREDICT_RELOAD_MS)",
              "operationId": "reloadChampion",
              "security": [{"bearerAuth": []}],
              "responses": {
                "200": {"description": "Loaded models after the reload", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/LoadedModels"}}}},
                "403": {"description": "Not an admin", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "422": {"description": "The champion does not load; the previous model keeps serving", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            }
          }
        }
        """#

    private static let componentsJSON = #"""
        {
          "schemas": {
            "PredictRequest": {
              "type": "object",
              "required": ["features"],
              "properties": {
                "features": {"type": "object", "additionalProperties": {"type": ["number", "string", "boolean", "null"]}},
                "model_name": {"type": "string"}
              }
            },
            "BatchRequest": {
              "type": "object",
              "required": ["features_list"],
              "properties": {
                "features_list": {"type": "array", "items": {"type": "object", "additionalProperties": {"type": ["number", "string", "boolean", "null"]}}},
                "model_name": {"type": "string"}
              }
            },
            "Prediction": {
              "type": "object",
              "properties": {
                "prediction": {"type": ["string", "number"], "description": "Class label, or the predicted value"},
                "probability": {"type": "number", "description": "Of the predicted class"},
                "probabilities": {"type": "object", "additionalProperties": {"type": "number"}},
                "ignored_fields": {"type": "array", "items": {"type": "string"}, "description": "Fields the model does not use"}
              }
            },
            "PredictionResponse": {
              "allOf": [
                {"$ref": "#/components/schemas/Prediction"},
                {"type": "object", "properties": {"model_name": {"type": "string"}, "model_version": {"type": "string"}, "timestamp": {"type": "string", "format": "date-time"}}}
              ]
            },
            "BatchResponse": {
              "type": "object",
              "properties": {
                "predictions": {"type": "array", "items": {"oneOf": [{"$ref": "#/components/schemas/Prediction"}, {"type": "null"}]}},
                "count": {"type": "integer", "description": "Records predicted"},
                "errors": {"type": "array", "items": {"type": "object", "properties": {"index": {"type": "integer"}, "details": {"type": "array", "items": {"type": "object", "properties": {"field": {"type": "string"}, "problem": {"type": "string"}}}}}}},
                "model_name": {"type": "string"},
                "model_version": {"type": "string"},
                "timestamp": {"type": "string", "format": "date-time"}
              }
            },
            "LoadedModels": {
              "type": "object",
              "properties": {
                "models": {"type": "array", "items": {"type": "object", "properties": {
                  "name": {"type": "string"}, "version": {"type": "string"}, "model_type": {"type": "string"}, "task": {"type": "string"},
                  "run_id": {"type": "string"}, "champion": {"type": "boolean"}, "metrics": {"type": "object"},
                  "class_labels": {"type": "array", "items": {"type": "string"}},
                  "input_schema": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}, "kind": {"type": "string"}, "nullable": {"type": "boolean"}, "categories": {"type": "array", "items": {"type": "string"}}}}},
                  "bundle_md5": {"type": "string"}, "loaded_at": {"type": "string", "format": "date-time"}
                }}},
                "last_reload_error": {"type": ["string", "null"]}
              }
            }
          }
        }
        """#
}
