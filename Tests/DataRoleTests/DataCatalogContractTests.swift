import Foundation
import GRDB
import MLCore
import MLOpsTesting
import Testing

@testable import DataRole
@testable import Kernel

/// The catalog of datasets and data versions behaves the same in SQLite (one data process) and in
/// PostgreSQL (data replicas sharing one database).
extension StoreBackend {
    func withDataCatalog(_ body: (any DataCatalog) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            try await Self.withSQLite(migrations: SQLiteDataCatalog.registerMigrations) { database in
                try await body(SQLiteDataCatalog(database: database))
            }
        case .postgres:
            try await Self.withPostgres(migrations: PostgresDataCatalog.migrations) { database, logger in
                try await body(PostgresDataCatalog(database: database, logger: logger))
            }
        }
    }
}

@Suite struct DataCatalogContractTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func dataset(_ name: String, md5: String, at offset: TimeInterval) throws -> Dataset {
        let table = try CSVReader.read(string: "city,price\nLyon,3.5\nCafé,4\n")
        return Dataset(
            name: name, digest: DataVersion.Digest(md5: md5, size: 28), table: table, path: "raw/\(md5).csv", uploadedBy: "alice",
            createdAt: now.addingTimeInterval(offset)
        )
    }

    func version(_ id: String, _ kind: DataVersionKind, parent: String, at offset: TimeInterval) -> DataVersionRecord {
        DataVersionRecord(
            version: id, kind: kind, parent: parent,
            digest: DVCRepository.DirectoryDigest(digest: DataVersion.Digest(md5: "md5-\(id).dir", size: 100), files: []),
            path: "\(kind.directoryName)/\(id)", jobID: "job-\(id)", createdBy: "alice", createdAt: now.addingTimeInterval(offset),
            manifest: .object(["parameters": .object(["target": .string("price")])])
        )
    }

    @Test(arguments: StoreBackend.available)
    func datasetsRegisterOncePerContent(_ backend: StoreBackend) async throws {
        try await backend.withDataCatalog { catalog in
            let first = try dataset("prices", md5: "aaaa1111bbbb2222cccc", at: 0)
            let registered = try await catalog.register(first)
            #expect(registered.created)
            #expect(registered.dataset == first)
            let again = try await catalog.register(try dataset("renamed", md5: "aaaa1111bbbb2222cccc", at: 5))
            #expect(!again.created)
            #expect(again.dataset == first, "the first registration of the same bytes")
            #expect(try await catalog.dataset(id: first.id) == first)
            #expect(try await catalog.dataset(id: "ds-missing") == nil)

            let second = try dataset("prices", md5: "dddd3333eeee4444ffff", at: 10)
            let other = try dataset("other", md5: "1111222233334444aaaa", at: 20)
            _ = try await catalog.register(second)
            _ = try await catalog.register(other)
            let all = try await catalog.datasets(name: nil, limit: 2, offset: 0)
            #expect(all.total == 3)
            #expect(all.datasets.map(\.id) == [other.id, second.id])
            let prices = try await catalog.datasets(name: "prices", limit: 10, offset: 0)
            #expect(prices.total == 2)
            #expect(prices.datasets.map(\.id) == [second.id, first.id])
        }
    }

    @Test(arguments: StoreBackend.available)
    func versionsAreRecordedFilteredAndReplaced(_ backend: StoreBackend) async throws {
        try await backend.withDataCatalog { catalog in
            let processed = version("pp-1", .processed, parent: "ds-1", at: 0)
            let features = version("ft-1", .features, parent: "pp-1", at: 1)
            let later = version("pp-2", .processed, parent: "ds-1", at: 2)
            for record in [processed, features, later] { try await catalog.record(record) }
            #expect(try await catalog.version("pp-1") == processed)
            #expect(try await catalog.version("missing") == nil)
            #expect(try await catalog.versionIDs(kind: .processed) == ["pp-1", "pp-2"])

            let fromDataset = try await catalog.versions(kind: .processed, parent: "ds-1", limit: 10, offset: 0)
            #expect(fromDataset.total == 2)
            #expect(fromDataset.versions.map(\.version) == ["pp-2", "pp-1"])
            let all = try await catalog.versions(kind: nil, parent: nil, limit: 1, offset: 1)
            #expect(all.total == 3)
            #expect(all.versions.map(\.version) == ["ft-1"])

            // Publishing the same version again (a retried job) replaces its record.
            var replaced = processed
            replaced.jobID = "job-retry"
            try await catalog.record(replaced)
            #expect(try await catalog.version("pp-1")?.jobID == "job-retry")
            #expect(try await catalog.versions(kind: nil, parent: nil, limit: 10, offset: 0).total == 3)
        }
    }
}
