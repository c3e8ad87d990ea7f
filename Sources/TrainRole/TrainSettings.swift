import Foundation
import Kernel

/// The train role's own settings: MLflow's client variables (as MLflow's Python client reads
/// them) and the longest a training job may fit.
struct TrainSettings: Sendable {
    var mlflowTrackingURI: String?
    var mlflowUsername: String?
    var mlflowPassword: String?
    var mlflowToken: String?
    /// Retries, with doubling backoff from the factor (seconds), and the timeout per request.
    var mlflowMaxRetries: Int
    var mlflowBackoffFactor: Double
    var mlflowRequestTimeout: Duration
    /// `MLOPSD_TRAIN_MAX_SECONDS`: past it, a fit stops at its next tree or round and the job
    /// fails saying so.
    var maxDuration: Duration
    /// `MLOPSD_MAX_PINNED_MODELS`: every predict replica holds each pinned model in memory.
    var maxPinnedModels: Int

    init(_ reader: SettingsReader) throws {
        mlflowTrackingURI = reader.string("MLFLOW_TRACKING_URI")
        if let uri = mlflowTrackingURI {
            guard let url = URL(string: uri), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
                throw SettingsError(variable: "MLFLOW_TRACKING_URI", problem: "must be an http(s) URL, got '\(uri)'")
            }
        }
        mlflowUsername = reader.string("MLFLOW_TRACKING_USERNAME")
        mlflowPassword = reader.string("MLFLOW_TRACKING_PASSWORD", secret: true)
        mlflowToken = reader.string("MLFLOW_TRACKING_TOKEN", secret: true)
        mlflowMaxRetries = try reader.int("MLFLOW_HTTP_REQUEST_MAX_RETRIES", default: 3, range: 0...10)
        mlflowBackoffFactor = try reader.parse("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", default: 0.5, expected: "seconds from 0 to 60") { text in
            Double(text).flatMap { (0...60).contains($0) ? $0 : nil }
        }
        mlflowRequestTimeout = try reader.seconds("MLFLOW_HTTP_REQUEST_TIMEOUT", default: 30, range: 1...600)
        maxDuration = try reader.seconds("MLOPSD_TRAIN_MAX_SECONDS", default: 3600, range: 1...604_800)
        maxPinnedModels = try reader.int("MLOPSD_MAX_PINNED_MODELS", default: 8, range: 0...100)
    }
}
