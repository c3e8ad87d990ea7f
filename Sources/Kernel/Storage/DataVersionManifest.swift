import Foundation

/// `manifest.json` of a data version (processed split or feature set): its lineage (inputs with
/// their hashes), the parameters that made it, and what it is about. Written by the data role,
/// read by the train role to tag runs and bundles with the data they came from.
public struct DataVersionManifest: Codable, Sendable, Equatable {
    public static let fileName = "manifest.json"

    public struct Input: Codable, Sendable, Equatable {
        /// `dataset` or `processed`.
        public var kind: String
        public var id: String
        public var path: String
        /// MD5 of the file, or the `<md5>.dir` hash of a version directory.
        public var md5: String

        public init(kind: String, id: String, path: String, md5: String) {
            self.kind = kind
            self.id = id
            self.path = path
            self.md5 = md5
        }
    }

    public var version: String
    /// `processed` or `features`.
    public var kind: String
    public var createdAt: Date
    public var createdBy: String
    public var jobID: String
    public var mlopsdVersion: String
    public var inputs: [Input]
    public var target: String
    /// `classification` or `regression`.
    public var task: String
    public var classLabels: [String]?
    public var parameters: JSONValue
    public var files: [String]

    public init(
        version: String, kind: String, createdAt: Date, createdBy: String, jobID: String, inputs: [Input],
        target: String, task: String, classLabels: [String]?, parameters: JSONValue, files: [String]
    ) {
        self.version = version
        self.kind = kind
        self.createdAt = createdAt
        self.createdBy = createdBy
        self.jobID = jobID
        self.mlopsdVersion = MLOpsVersion.current
        self.inputs = inputs
        self.target = target
        self.task = task
        self.classLabels = classLabels
        self.parameters = parameters
        self.files = files
    }

    /// The raw dataset at the root of the lineage.
    public var dataset: Input? { inputs.first { $0.kind == "dataset" } }

    enum CodingKeys: String, CodingKey {
        case version, kind
        case createdAt = "created_at"
        case createdBy = "created_by"
        case jobID = "job_id"
        case mlopsdVersion = "mlopsd_version"
        case inputs, target, task
        case classLabels = "class_labels"
        case parameters, files
    }
}
