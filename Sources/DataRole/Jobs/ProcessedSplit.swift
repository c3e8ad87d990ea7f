import Foundation
import Kernel
import MLCore

/// The files of a processed version and what its manifest says about them. Other roles read
/// processed versions from the shared data directory through this layout.
enum ProcessedSplit {
    static let trainFile = "train.csv"
    static let testFile = "test.csv"
    static let schemaFile = "schema.json"
    static let reportFile = "report.json"
    static let manifestFile = "manifest.json"

    /// Reads a split back with the kinds its schema declares, so it types exactly as it was written.
    static func read(_ file: String, in directory: URL) throws -> Table {
        let schema = try JSONFile.read(TableSchema.self, from: directory.appendingPathComponent(schemaFile))
        return try CSVReader.read(path: directory.appendingPathComponent(file).path, options: .conforming(to: schema))
    }
}

/// The lineage and parameters of one data version (`manifest.json`, and the catalog's copy).
struct VersionManifest: Codable, Sendable {
    struct Input: Codable, Sendable {
        /// `dataset` or `processed`.
        var kind: String
        var id: String
        var path: String
        /// MD5 of the file, or the `<md5>.dir` hash of a version directory.
        var md5: String
    }

    var version: String
    var kind: DataVersionKind
    var createdAt: Date
    var createdBy: String
    var jobID: String
    var mlopsdVersion: String
    var inputs: [Input]
    var target: String
    var task: TaskKind
    var classLabels: [String]?
    var parameters: JSONValue
    var files: [String]

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
