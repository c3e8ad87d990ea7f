import Foundation
import GRDB
import Hummingbird
import Kernel

enum DataVersionKind: String, Codable, Sendable, CaseIterable, DatabaseValueConvertible {
    case processed
    case features

    var directoryName: String { rawValue }

    /// Version ids say what they are: `pp-…` processed splits, `fs-…` feature sets.
    var idPrefix: String {
        switch self {
        case .processed: "pp-"
        case .features: "fs-"
        }
    }

    /// A deterministic id from the input's identity and the parameters: the same preprocessing
    /// of the same bytes is the same version, on any server, and is not computed twice. The input
    /// is named by content (a raw file's MD5) or by its own version id, which is a content address
    /// too (a processed directory's MD5 would not do: its manifest records when and by whom).
    func versionID(input: String, parameters: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let key = Array(input.utf8) + [0x0A] + Array(try encoder.encode(parameters))
        return idPrefix + DataVersion.digest(of: key).md5.prefix(16)
    }
}

/// One published processed split or feature set: where it is, its DVC directory hash, and its
/// manifest (inputs with their hashes, parameters, report), which is also `manifest.json` inside it.
struct DataVersionRecord: Sendable, Equatable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "data_versions"

    var version: String
    var kind: DataVersionKind
    /// The dataset id (processed) or processed version (features) it was made from.
    var parent: String
    /// The `<md5>.dir` hash DVC records for the directory.
    var md5: String
    var size: Int
    var fileCount: Int
    /// Relative to the data directory: `processed/<version>`.
    var path: String
    var jobID: String?
    var createdBy: String
    var createdAt: Date
    var manifest: JSONValue

    init(row: Row) throws {
        version = row["version"]
        kind = row["kind"]
        parent = row["parent"]
        md5 = row["md5"]
        size = row["size"]
        fileCount = row["file_count"]
        path = row["path"]
        jobID = row["job_id"]
        createdBy = row["created_by"]
        createdAt = row["created_at"]
        manifest = try JSONValue(jsonString: row["manifest"] ?? "null")
    }

    init(
        version: String, kind: DataVersionKind, parent: String, digest: DVCRepository.DirectoryDigest, path: String,
        jobID: String?, createdBy: String, createdAt: Date, manifest: JSONValue
    ) {
        self.version = version
        self.kind = kind
        self.parent = parent
        self.md5 = digest.digest.md5
        self.size = digest.digest.size
        self.fileCount = digest.files.count
        self.path = path
        self.jobID = jobID
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.manifest = manifest
    }

    func encode(to container: inout PersistenceContainer) throws {
        container["version"] = version
        container["kind"] = kind
        container["parent"] = parent
        container["md5"] = md5
        container["size"] = size
        container["file_count"] = fileCount
        container["path"] = path
        container["job_id"] = jobID
        container["created_by"] = createdBy
        container["created_at"] = createdAt
        container["manifest"] = manifest.jsonString()
    }
}

extension DataVersionRecord: Encodable {
    enum CodingKeys: String, CodingKey {
        case version, kind, parent, md5, size
        case fileCount = "nfiles"
        case path
        case jobID = "job_id"
        case createdBy = "created_by"
        case createdAt = "created_at"
        case manifest
    }
}

struct DataVersionPage: Encodable {
    var versions: [DataVersionRecord]
    var total: Int
    var limit: Int
    var offset: Int
}
