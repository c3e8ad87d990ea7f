import Foundation

public enum RunStatus: String, Codable, Sendable {
    case running = "RUNNING"
    case finished = "FINISHED"
    case failed = "FAILED"
    case killed = "KILLED"
}

/// One tracked run as a tracker reports it (MLflow's run info and data, flattened).
public struct TrackedRun: Codable, Sendable, Equatable {
    public var runID: String
    public var experimentID: String
    public var name: String
    public var status: RunStatus
    public var startTime: Date
    public var endTime: Date?
    public var params: [String: String]
    public var metrics: [String: Double]
    public var tags: [String: String]

    enum CodingKeys: String, CodingKey {
        case runID = "run_id"
        case experimentID = "experiment_id"
        case name, status
        case startTime = "start_time"
        case endTime = "end_time"
        case params, metrics, tags
    }
}

/// Which runs to look at and in what order (`runs/search` in MLflow terms).
public struct RunSearch: Sendable, Equatable {
    public var experimentIDs: [String]
    public var modelType: String?
    public var metric: String
    public var higherIsBetter: Bool
    public var limit: Int

    public init(experimentIDs: [String], modelType: String? = nil, metric: String, higherIsBetter: Bool, limit: Int = 100) {
        self.experimentIDs = experimentIDs
        self.modelType = modelType
        self.metric = metric
        self.higherIsBetter = higherIsBetter
        self.limit = limit
    }
}

/// Where experiments, runs (parameters, metrics, tags, artifacts) and registered model versions
/// are recorded. Two implementations: the MLflow REST API when `MLFLOW_TRACKING_URI` is set,
/// and an embedded one on the train role's SQLite database and `MLOPSD_MODELS_DIR` otherwise.
public protocol ExperimentTracker: Sendable {
    /// `mlflow` or `embedded`, reported in job results and `GET /models`.
    var kind: String { get }
    /// The experiment's id, creating it when missing (safe against a concurrent creator).
    func experimentID(named name: String) async throws -> String
    /// The experiment's id, nil when there is none by that name (nothing is created).
    func findExperiment(named name: String) async throws -> String?
    func startRun(experimentID: String, name: String, tags: [String: String]) async throws -> String
    func log(runID: String, params: [String: String], metrics: [String: Double], tags: [String: String]) async throws
    func uploadArtifact(runID: String, path: String, data: Data) async throws
    func downloadArtifact(runID: String, path: String) async throws -> Data
    func finishRun(runID: String, status: RunStatus) async throws
    /// One run, whatever its status; nil when there is none by that id.
    func run(id runID: String) async throws -> TrackedRun?
    /// Finished runs that have the metric, best first.
    func searchRuns(_ search: RunSearch) async throws -> [TrackedRun]
    /// Registers the run's model as a new version of `modelName`; returns the version.
    func registerModelVersion(modelName: String, runID: String, artifactPath: String) async throws -> String
    func setAlias(modelName: String, alias: String, version: String) async throws
}

/// The run has no artifact at that path: an answer, where any other error is the tracker failing.
public struct MissingArtifact: Error, Sendable, CustomStringConvertible {
    public let runID: String
    public let path: String

    public var description: String { "run '\(runID)' has no artifact '\(path)'" }
}

/// A tracker call that failed; training goes on and the job result says so.
public struct TrackingError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}
