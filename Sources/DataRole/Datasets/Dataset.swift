import Foundation
import GRDB
import Hummingbird
import Kernel
import MLCore

/// One registered upload: an immutable raw CSV identified by the MD5 of its bytes.
struct Dataset: Sendable, Equatable, FetchableRecord, PersistableRecord {
    static let databaseTableName = "datasets"

    var id: String
    var name: String
    var md5: String
    var size: Int
    var rows: Int
    var columns: Int
    /// Relative to the data directory: `raw/<id>.csv`.
    var path: String
    var uploadedBy: String
    var createdAt: Date
    var schema: TableSchema
    var profile: TableProfile

    /// Identical bytes give the identical id, so a re-upload finds its first registration.
    static func id(forMD5 md5: String) -> String {
        "ds-" + md5.prefix(16)
    }

    init(
        name: String, digest: DataVersion.Digest, table: MLCore.Table, path: String, uploadedBy: String, createdAt: Date = Date()
    ) {
        self.id = Self.id(forMD5: digest.md5)
        self.name = name
        self.md5 = digest.md5
        self.size = digest.size
        self.rows = table.rowCount
        self.columns = table.columns.count
        self.path = path
        self.uploadedBy = uploadedBy
        self.createdAt = createdAt
        // Kinds only: the profile already shows the frequent labels, and an identifier column's
        // full label list would make every dataset answer as large as the column.
        self.schema = TableSchema(columns: table.schema.columns.map { ColumnSchema(name: $0.name, kind: $0.kind, nullable: $0.nullable) })
        self.profile = TableProfile(table: table)
    }

    init(row: Row) throws {
        id = row["id"]
        name = row["name"]
        md5 = row["md5"]
        size = row["size"]
        rows = row["rows"]
        columns = row["columns"]
        path = row["path"]
        uploadedBy = row["uploaded_by"]
        createdAt = row["created_at"]
        schema = try JSONDecoder().decode(TableSchema.self, from: Data((row["schema"] as String).utf8))
        profile = try JSONDecoder().decode(TableProfile.self, from: Data((row["profile"] as String).utf8))
    }

    func encode(to container: inout PersistenceContainer) throws {
        container["id"] = id
        container["name"] = name
        container["md5"] = md5
        container["size"] = size
        container["rows"] = rows
        container["columns"] = columns
        container["path"] = path
        container["uploaded_by"] = uploadedBy
        container["created_at"] = createdAt
        container["schema"] = String(decoding: try JSONEncoder().encode(schema), as: UTF8.self)
        container["profile"] = String(decoding: try JSONEncoder().encode(profile), as: UTF8.self)
    }

    func column(named name: String) -> ColumnProfile? {
        profile.columns.first { $0.name == name }
    }
}

/// `GET /datasets/{id}` and the upload answer: metadata, schema and profile.
struct DatasetDetail: Encodable, ResponseEncodable {
    let dataset: Dataset

    enum CodingKeys: String, CodingKey {
        case id, name, md5, size, rows, columns, path
        case uploadedBy = "uploaded_by"
        case createdAt = "created_at"
        case schema, profile
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try DatasetSummary(dataset: dataset).encode(to: encoder)
        try container.encode(dataset.schema, forKey: .schema)
        try container.encode(dataset.profile, forKey: .profile)
    }
}

/// A dataset in listings: metadata only.
struct DatasetSummary: Encodable {
    let dataset: Dataset

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: DatasetDetail.CodingKeys.self)
        try container.encode(dataset.id, forKey: .id)
        try container.encode(dataset.name, forKey: .name)
        try container.encode(dataset.md5, forKey: .md5)
        try container.encode(dataset.size, forKey: .size)
        try container.encode(dataset.rows, forKey: .rows)
        try container.encode(dataset.columns, forKey: .columns)
        try container.encode(dataset.path, forKey: .path)
        try container.encode(dataset.uploadedBy, forKey: .uploadedBy)
        try container.encode(dataset.createdAt, forKey: .createdAt)
    }
}

struct DatasetPage: Encodable {
    var datasets: [DatasetSummary]
    var total: Int
    var limit: Int
    var offset: Int
}
