import Foundation
import GRDB
import Kernel
import Logging
import PostgresNIO

/// `DataCatalog` in PostgreSQL, shared by every data replica (the files themselves live on the
/// data volume they all mount). Rows are read back through the same decoding as SQLite's.
struct PostgresDataCatalog: DataCatalog {
    let database: SharedDatabase
    let logger: Logger

    static let migrations: [SharedDatabase.Migration] = [
        .init(
            "data-catalog-v1",
            [
                """
                CREATE TABLE datasets (
                    id TEXT PRIMARY KEY, name TEXT NOT NULL, md5 TEXT NOT NULL UNIQUE, size BIGINT NOT NULL, rows BIGINT NOT NULL,
                    columns BIGINT NOT NULL, path TEXT NOT NULL, uploaded_by TEXT NOT NULL, created_at TIMESTAMPTZ NOT NULL,
                    schema TEXT NOT NULL, profile TEXT NOT NULL
                )
                """,
                "CREATE INDEX datasets_name ON datasets (name)",
                """
                CREATE TABLE data_versions (
                    version TEXT PRIMARY KEY, kind TEXT NOT NULL, parent TEXT NOT NULL, md5 TEXT NOT NULL, size BIGINT NOT NULL,
                    file_count BIGINT NOT NULL, path TEXT NOT NULL, job_id TEXT, created_by TEXT NOT NULL,
                    created_at TIMESTAMPTZ NOT NULL, manifest TEXT NOT NULL
                )
                """,
                "CREATE INDEX data_versions_kind_parent ON data_versions (kind, parent)",
            ])
    ]

    static let datasetColumns = "id, name, md5, size, rows, columns, path, uploaded_by, created_at, schema, profile"
    static let versionColumns = "version, kind, parent, md5, size, file_count, path, job_id, created_by, created_at, manifest"

    func datasets(_ query: PostgresQuery) async throws -> [Dataset] {
        var datasets: [Dataset] = []
        let rows = try await database.client.query(query, logger: logger)
        for try await row in rows.decode((String, String, String, Int, Int, Int, String, String, Date, String, String).self) {
            datasets.append(
                try Dataset(row: [
                    "id": row.0, "name": row.1, "md5": row.2, "size": row.3, "rows": row.4, "columns": row.5, "path": row.6,
                    "uploaded_by": row.7, "created_at": row.8, "schema": row.9, "profile": row.10,
                ]))
        }
        return datasets
    }

    func versions(_ query: PostgresQuery) async throws -> [DataVersionRecord] {
        var versions: [DataVersionRecord] = []
        let rows = try await database.client.query(query, logger: logger)
        for try await row in rows.decode((String, String, String, String, Int, Int, String, String?, String, Date, String).self) {
            versions.append(
                try DataVersionRecord(row: [
                    "version": row.0, "kind": row.1, "parent": row.2, "md5": row.3, "size": row.4, "file_count": row.5, "path": row.6,
                    "job_id": row.7, "created_by": row.8, "created_at": row.9, "manifest": row.10,
                ]))
        }
        return versions
    }

    /// The same bytes uploaded to two replicas at once register once.
    func register(_ dataset: Dataset) async throws -> (dataset: Dataset, created: Bool) {
        let schema = String(decoding: try JSONEncoder().encode(dataset.schema), as: UTF8.self)
        let profile = String(decoding: try JSONEncoder().encode(dataset.profile), as: UTF8.self)
        let inserted =
            try await database.rowCount(
                """
                INSERT INTO datasets (\(unescaped: Self.datasetColumns))
                VALUES (\(dataset.id), \(dataset.name), \(dataset.md5), \(dataset.size), \(dataset.rows), \(dataset.columns), \(dataset.path),
                    \(dataset.uploadedBy), \(dataset.createdAt), \(schema), \(profile))
                ON CONFLICT (md5) DO NOTHING RETURNING 1
                """
            ) == 1
        if inserted { return (dataset, true) }
        guard let existing = try await datasets("SELECT \(unescaped: Self.datasetColumns) FROM datasets WHERE md5 = \(dataset.md5)").first else {
            throw PostgresStoreError(problem: "dataset with md5 \(dataset.md5) neither inserted nor found")
        }
        return (existing, false)
    }

    func dataset(id: String) async throws -> Dataset? {
        try await datasets("SELECT \(unescaped: Self.datasetColumns) FROM datasets WHERE id = \(id)").first
    }

    func datasets(name: String?, limit: Int, offset: Int) async throws -> (datasets: [Dataset], total: Int) {
        let total = try await database.integer("SELECT COUNT(*) FROM datasets WHERE \(name)::TEXT IS NULL OR name = \(name)")
        let page = try await datasets(
            """
            SELECT \(unescaped: Self.datasetColumns) FROM datasets WHERE \(name)::TEXT IS NULL OR name = \(name)
            ORDER BY created_at DESC, id LIMIT \(limit) OFFSET \(offset)
            """
        )
        return (page, total)
    }

    func record(_ version: DataVersionRecord) async throws {
        try await database.client.query(
            """
            INSERT INTO data_versions (\(unescaped: Self.versionColumns))
            VALUES (\(version.version), \(version.kind.rawValue), \(version.parent), \(version.md5), \(version.size), \(version.fileCount),
                \(version.path), \(version.jobID), \(version.createdBy), \(version.createdAt), \(version.manifest.jsonString()))
            ON CONFLICT (version) DO UPDATE SET kind = EXCLUDED.kind, parent = EXCLUDED.parent, md5 = EXCLUDED.md5,
                size = EXCLUDED.size, file_count = EXCLUDED.file_count, path = EXCLUDED.path, job_id = EXCLUDED.job_id,
                created_by = EXCLUDED.created_by, created_at = EXCLUDED.created_at, manifest = EXCLUDED.manifest
            """,
            logger: logger
        )
    }

    func version(_ id: String) async throws -> DataVersionRecord? {
        try await versions("SELECT \(unescaped: Self.versionColumns) FROM data_versions WHERE version = \(id)").first
    }

    func versions(kind: DataVersionKind?, parent: String?, limit: Int, offset: Int) async throws -> (versions: [DataVersionRecord], total: Int) {
        let kind = kind?.rawValue
        let total = try await database.integer(
            "SELECT COUNT(*) FROM data_versions WHERE (\(kind)::TEXT IS NULL OR kind = \(kind)) AND (\(parent)::TEXT IS NULL OR parent = \(parent))"
        )
        let page = try await versions(
            """
            SELECT \(unescaped: Self.versionColumns) FROM data_versions
            WHERE (\(kind)::TEXT IS NULL OR kind = \(kind)) AND (\(parent)::TEXT IS NULL OR parent = \(parent))
            ORDER BY created_at DESC, version LIMIT \(limit) OFFSET \(offset)
            """
        )
        return (page, total)
    }

    func versionIDs(kind: DataVersionKind) async throws -> Set<String> {
        var ids: Set<String> = []
        for try await id in try await database.client.query(
            "SELECT version FROM data_versions WHERE kind = \(kind.rawValue)", logger: logger
        ).decode(String.self) {
            ids.insert(id)
        }
        return ids
    }
}
