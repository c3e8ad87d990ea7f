import Foundation
import GRDB
import Kernel
import Testing

@Suite struct AppDatabaseTests {
    /// Found by the durability trace: GRDB sets `synchronous = NORMAL` on the writer while it
    /// enables WAL, after the connection's own set-up, so `FULL` never reached a commit and a
    /// power cut could roll back a revocation or a catalog row.
    @Test(arguments: [AppDatabase.Durability.full, .normal])
    func theWriterCommitsWithTheDurabilityAskedFor(_ durability: AppDatabase.Durability) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mlopsd-db-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = try AppDatabase.open(stateDirectory: directory.path, name: "test", durability: durability) { _ in }
        let level = try database.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(level == (durability == .full ? 2 : 1))
    }
}
