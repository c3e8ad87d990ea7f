import Foundation
import GRDB
import Kernel

/// Where the versions of the training configuration are kept: every `PUT` adds one, so a job's
/// parameters can say which version filled them in and an earlier one can be read back.
protocol TrainingConfigurationStore: Sendable {
    /// The latest stored version, or the built-in default (version 0) before the first `PUT`.
    func current() async throws -> StoredTrainingConfiguration
    func version(_ version: Int) async throws -> StoredTrainingConfiguration?
    /// Stores `configuration` as the version after the latest.
    func save(_ configuration: TrainingConfiguration, by username: String) async throws -> StoredTrainingConfiguration
}

extension TrainingConfiguration {
    func encodedJSON() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    static func decoded(_ text: String) throws -> TrainingConfiguration {
        try JSONDecoder().decode(TrainingConfiguration.self, from: Data(text.utf8))
    }
}

struct SQLiteTrainingConfigurationStore: TrainingConfigurationStore {
    let database: AppDatabase

    static func registerMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("training-configurations-v1") { db in
            try db.create(table: "training_configurations") { table in
                table.primaryKey("version", .integer)
                table.column("configuration", .text).notNull()
                table.column("updated_by", .text).notNull()
                table.column("updated_at", .datetime).notNull()
            }
        }
    }

    func current() async throws -> StoredTrainingConfiguration {
        try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM training_configurations ORDER BY version DESC LIMIT 1").map(Self.stored) ?? .builtIn
        }
    }

    func version(_ version: Int) async throws -> StoredTrainingConfiguration? {
        if version == 0 { return .builtIn }
        return try await database.pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM training_configurations WHERE version = ?", arguments: [version]).map(Self.stored)
        }
    }

    func save(_ configuration: TrainingConfiguration, by username: String) async throws -> StoredTrainingConfiguration {
        let text = try configuration.encodedJSON()
        let now = Date()
        return try await database.pool.write { db in
            let next = (try Int.fetchOne(db, sql: "SELECT MAX(version) FROM training_configurations") ?? 0) + 1
            try db.execute(
                sql: "INSERT INTO training_configurations (version, configuration, updated_by, updated_at) VALUES (?, ?, ?, ?)",
                arguments: [next, text, username, now]
            )
            return StoredTrainingConfiguration(version: next, configuration: configuration, updatedAt: now, updatedBy: username)
        }
    }

    private static func stored(_ row: Row) throws -> StoredTrainingConfiguration {
        StoredTrainingConfiguration(
            version: row["version"], configuration: try TrainingConfiguration.decoded(row["configuration"]),
            updatedAt: row["updated_at"], updatedBy: row["updated_by"])
    }
}
