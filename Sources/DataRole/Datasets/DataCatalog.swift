import Foundation
import GRDB
import Kernel

/// What the data role knows about its datasets and data versions. The files are the data;
/// a catalog row is the commit point that makes them visible.
protocol DataCatalog: Sendable {
    /// Registers a dataset, or returns the one already registered with the same bytes.
    func register(_ dataset: Dataset) async throws -> (dataset: Dataset, created: Bool)
    func dataset(id: String) async throws -> Dataset?
    func datasets(name: String?, limit: Int, offset: Int) async throws -> (datasets: [Dataset], total: Int)

    func record(_ version: DataVersionRecord) async throws
    func version(_ id: String) async throws -> DataVersionRecord?
    func versions(kind: DataVersionKind?, parent: String?, limit: Int, offset: Int) async throws -> (versions: [DataVersionRecord], total: Int)
    func versionIDs(kind: DataVersionKind) async throws -> Set<String>
}

struct SQLiteDataCatalog: DataCatalog {
    let database: AppDatabase

    static func registerMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("data-catalog-v1") { db in
            try db.create(table: "datasets") { table in
                table.primaryKey("id", .text)
                table.column("name", .text).notNull()
                table.column("md5", .text).notNull().unique()
                table.column("size", .integer).notNull()
                table.column("rows", .integer).notNull()
                table.column("columns", .integer).notNull()
                table.column("path", .text).notNull()
                table.column("uploaded_by", .text).notNull()
                table.column("created_at", .datetime).notNull()
                table.column("schema", .text).notNull()
                table.column("profile", .text).notNull()
            }
            try db.create(index: "datasets_name", on: "datasets", columns: ["name"])
            try db.create(table: "data_versions") { table in
                table.primaryKey("version", .text)
                table.column("kind", .text).notNull()
                table.column("parent", .text).notNull()
                table.column("md5", .text).notNull()
                table.column("size", .integer).notNull()
                table.column("file_count", .integer).notNull()
                table.column("path", .text).notNull()
                table.column("job_id", .text)
                table.column("created_by", .text).notNull()
                table.column("created_at", .datetime).notNull()
                table.column("manifest", .text).notNull()
            }
            try db.create(index: "data_versions_kind_parent", on: "data_versions", columns: ["kind", "parent"])
        }
    }

    func register(_ dataset: Dataset) async throws -> (dataset: Dataset, created: Bool) {
        try await database.pool.write { db in
            if let existing = try Dataset.filter(Column("md5") == dataset.md5).fetchOne(db) { return (existing, false) }
            try dataset.insert(db)
            return (dataset, true)
        }
    }

    func dataset(id: String) async throws -> Dataset? {
        try await database.pool.read { db in try Dataset.fetchOne(db, key: id) }
    }

    func datasets(name: String?, limit: Int, offset: Int) async throws -> (datasets: [Dataset], total: Int) {
        try await database.pool.read { db in
            var request = Dataset.all()
            if let name { request = request.filter(Column("name") == name) }
            let total = try request.fetchCount(db)
            let page = try request.order(Column("created_at").desc, Column("id")).limit(limit, offset: offset).fetchAll(db)
            return (page, total)
        }
    }

    func record(_ version: DataVersionRecord) async throws {
        try await database.pool.write { db in try version.upsert(db) }
    }

    func version(_ id: String) async throws -> DataVersionRecord? {
        try await database.pool.read { db in try DataVersionRecord.fetchOne(db, key: id) }
    }

    func versions(kind: DataVersionKind?, parent: String?, limit: Int, offset: Int) async throws -> (versions: [DataVersionRecord], total: Int) {
        try await database.pool.read { db in
            var request = DataVersionRecord.all()
            if let kind { request = request.filter(Column("kind") == kind) }
            if let parent { request = request.filter(Column("parent") == parent) }
            let total = try request.fetchCount(db)
            let page = try request.order(Column("created_at").desc, Column("version")).limit(limit, offset: offset).fetchAll(db)
            return (page, total)
        }
    }

    func versionIDs(kind: DataVersionKind) async throws -> Set<String> {
        try await database.pool.read { db in
            Set(try String.fetchAll(db, sql: "SELECT version FROM data_versions WHERE kind = ?", arguments: [kind]))
        }
    }
}
