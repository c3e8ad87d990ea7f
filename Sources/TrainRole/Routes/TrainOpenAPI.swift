import Kernel

/// The train role's part of its OpenAPI 3.1 document. Paths are relative to `/api/v1/train`;
/// a test holds this list to the routes the role actually registers.
enum TrainOpenAPI {
    static func paths() throws -> JSONValue { try JSONValue(jsonString: pathsJSON) }
    static func components() throws -> JSONValue { try JSONValue(jsonString: componentsJSON) }

    private static let pathsJSON = #"""
        {
          "": {
            "post": {
              "summary": "Queue a training job: each model type fitted on one data version, compared on the held-out split",
              "operationId": "train",
              "security": [{"bearerAuth": []}],
              "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/TrainRequest"}}}},
              "responses": {
                "202": {"description": "Queued; poll the Location. The result holds the leaderboard.", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/JobAccepted"}}}},
                "404": {"description": "The data version does not exist", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "422": {"description": "Unknown model type, hyperparameters that do not decode, a metric the task does not report…", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            }
          },
          "/fetch-best-model": {
            "post": {
              "summary": "Promote the best finished run by a metric, if it passes the gates: the champion pointer moves atomically",
              "operationId": "fetchBestModel",
              "security": [{"bearerAuth": []}],
              "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PromotionRequest"}}}},
              "responses": {
                "200": {"description": "The new champion (and the previous one)", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PromotionOutcome"}}}},
                "404": {"description": "No run reports the metric, or no such experiment", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "409": {"description": "No run passes the gates; the message gives the best candidate's figures", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                "502": {"description": "The experiment tracker failed or did not answer in time; nothing was promoted", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            }
          },
          "/models": {
            "get": {
              "summary": "Registered models and their versions with metrics; which one is champion",
              "operationId": "listModels",
              "security": [{"bearerAuth": []}],
              "responses": {
                "200": {"description": "Models", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ModelList"}}}}
              }
            }
          },
          "/metrics/{model_type}": {
            "get": {
              "summary": "Metrics of the latest trained model of a type",
              "operationId": "latestMetrics",
              "security": [{"bearerAuth": []}],
              "parameters": [{"name": "model_type", "in": "path", "required": true, "schema": {"type": "string"}}],
              "responses": {
                "200": {"description": "Latest version of that type", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ModelVersion"}}}},
                "404": {"description": "No model of that type yet", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
              }
            }
          }
        }
        """#

    private static let componentsJSON = #"""
        {
          "schemas": {
            "TrainRequest": {
              "type": "object",
              "required": ["model_types"],
              "description": "Exactly one of features_version and processed_version. With a feature set every model uses its fitted pipeline; with a processed split each model type gets the encoding suited to it.",
              "properties": {
                "features_version": {"type": "string", "pattern": "^fs-[0-9a-f]{16}$"},
                "processed_version": {"type": "string", "pattern": "^pp-[0-9a-f]{16}$"},
                "model_types": {"type": "array", "items": {"type": "string", "enum": ["baseline", "logistic_regression", "linear_regression", "decision_tree", "random_forest", "gradient_boosting"]}},
                "hyperparameters": {"type": "object", "additionalProperties": {"type": "object"}, "description": "Per model type; absent keys take their defaults"},
                "metric": {"type": "string", "description": "Leaderboard order; f1 for classification and rmse for regression by default"},
                "cv_folds": {"type": "integer", "minimum": 2, "maximum": 20},
                "experiment_name": {"type": "string", "default": "mlopsd"},
                "seed": {"type": "integer", "minimum": 0, "default": 42},
                "imbalance": {"type": "string", "enum": ["none", "class_weights", "smote"], "default": "none"}
              }
            },
            "PromotionRequest": {
              "type": "object",
              "properties": {
                "metric": {"type": "string"},
                "model_type": {"type": "string"},
                "experiment_name": {"type": "string"},
                "min_metrics": {"type": "object", "additionalProperties": {"type": "number"}, "description": "Gates: at least this for higher-is-better metrics, at most this for rmse, mae, mape, log_loss"}
              }
            },
            "Champion": {
              "type": "object",
              "properties": {
                "model_name": {"type": "string"},
                "version": {"type": "string"},
                "model_type": {"type": "string"},
                "run_id": {"type": "string"},
                "metric": {"type": "string"},
                "metrics": {"type": "object", "additionalProperties": {"type": "number"}},
                "bundle_path": {"type": "string"},
                "bundle_md5": {"type": "string"},
                "tracker": {"type": "string", "enum": ["embedded", "mlflow"]},
                "promoted_at": {"type": "string", "format": "date-time"},
                "promoted_by": {"type": "string"}
              }
            },
            "PromotionOutcome": {
              "type": "object",
              "properties": {
                "champion": {"$ref": "#/components/schemas/Champion"},
                "previous": {"oneOf": [{"$ref": "#/components/schemas/Champion"}, {"type": "null"}]},
                "candidates": {"type": "integer"},
                "tracking_error": {"type": ["string", "null"]}
              }
            },
            "ModelVersion": {
              "type": "object",
              "properties": {
                "name": {"type": "string"},
                "version": {"type": "string"},
                "model_type": {"type": "string"},
                "run_id": {"type": "string"},
                "experiment_name": {"type": "string"},
                "metrics": {"type": "object", "additionalProperties": {"type": "number"}},
                "bundle_path": {"type": "string"},
                "data_version": {"type": "string"},
                "job_id": {"type": "string"},
                "created_at": {"type": "string", "format": "date-time"}
              }
            },
            "ModelList": {
              "type": "object",
              "properties": {
                "tracker": {"type": "string"},
                "champion": {"oneOf": [{"$ref": "#/components/schemas/Champion"}, {"type": "null"}]},
                "models": {"type": "array", "items": {"type": "object", "properties": {
                  "name": {"type": "string"},
                  "model_type": {"type": "string"},
                  "versions": {"type": "array", "items": {"allOf": [{"$ref": "#/components/schemas/ModelVersion"}, {"type": "object", "properties": {"champion": {"type": "boolean"}}}]}}
                }}}
              }
            }
          }
        }
        """#
}
