import ArgumentParser
import AuthRole
import DataRole
import Foundation
import Kernel
import Logging
import PredictRole
import TrainRole

struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Manage the shared PostgreSQL database.",
        subcommands: [MigrateToPostgresCommand.self]
    )
}

struct MigrateToPostgresCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-to-postgres",
        abstract: "Copy a SQLite deployment's state into the PostgreSQL database of MLOPSD_DATABASE_URL.",
        discussion: """
            Copies accounts and refresh tokens (auth.sqlite), the dataset catalog, data versions and data jobs \
            (data.sqlite), training jobs, the model registry and the embedded tracker (train.sqlite) from \
            MLOPSD_STATE_DIR, and the champion with its bundle from MLOPSD_MODELS_DIR. Rows already in the \
            database are left alone, so running it again copies nothing new. Stop the roles first; files \
            (data versions, run artifacts) stay where they are, on the volumes the replicas mount.
            """
    )

    func run() async throws {
        let settings = try await Settings.environmentValues(["MLOPSD_DATABASE_URL", "MLOPSD_STATE_DIR", "MLOPSD_MODELS_DIR"])
        guard let url = settings["MLOPSD_DATABASE_URL"] else {
            throw ValidationError("set MLOPSD_DATABASE_URL to the database to copy into (postgres://user:password@host:port/database)")
        }
        let stateDirectory = settings["MLOPSD_STATE_DIR"] ?? "var/state"
        let modelsDirectory = URL(fileURLWithPath: settings["MLOPSD_MODELS_DIR"] ?? "var/models").standardizedFileURL
        var logger = Logger(label: "mlopsd-db")
        logger.logLevel = .warning
        let database: SharedDatabase
        do {
            database = try SharedDatabase(url: url, logger: logger)
        } catch let error as SettingsError {
            throw ValidationError("\(error)")
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await database.run() }
            defer { group.cancelAll() }
            let transfer = StateTransfer(database: database, logger: logger)
            for layout in [AuthRole.stateLayout, DataRole.stateLayout, TrainRole.stateLayout, PredictRole.stateLayout] {
                guard let counts = try await transfer.copy(layout, stateDirectory: stateDirectory) else {
                    print("\(layout.database).sqlite: not in \(stateDirectory), nothing to copy")
                    continue
                }
                print("\(layout.database).sqlite:")
                for count in counts {
                    let table = count.table.padding(toLength: 24, withPad: " ", startingAt: 0)
                    print("  \(table) \(count.source) rows, \(count.copied) copied")
                }
            }
            try await copyChampion(from: modelsDirectory, into: database, logger: logger)
            try await copyServingPlan(from: modelsDirectory, into: database, logger: logger)
        }
    }

    /// The champion moves into the database unless it is already the current one there.
    func copyChampion(from modelsDirectory: URL, into database: SharedDatabase, logger: Logger) async throws {
        guard let record = try await FileChampionStore(modelsDirectory: modelsDirectory).load() else {
            print("champion: none in \(modelsDirectory.path)")
            return
        }
        try await database.migrate(PostgresChampionStore.migrations)
        let store = PostgresChampionStore(database: database, logger: logger)
        let pointer = record.pointer
        if let current = try await store.current(), current.runID == pointer.runID, current.bundleMD5 == pointer.bundleMD5 {
            print("champion: \(pointer.modelName) version \(pointer.version) already current")
            return
        }
        try await store.publish(pointer, bundle: record.bundle)
        print("champion: \(pointer.modelName) version \(pointer.version) copied (bundle md5 \(pointer.bundleMD5))")
    }

    /// Pinned versions and the challenger, with their bundles.
    func copyServingPlan(from modelsDirectory: URL, into database: SharedDatabase, logger: Logger) async throws {
        let files = FileChampionStore(modelsDirectory: modelsDirectory)
        guard let plan = try await files.plan() else {
            print("serving plan: none in \(modelsDirectory.path)")
            return
        }
        var bundles: [String: Data] = [:]
        for model in plan.models {
            bundles[model.bundlePath] = try await files.bundle(for: model)
        }
        try await database.migrate(PostgresChampionStore.migrations)
        try await PostgresChampionStore(database: database, logger: logger).publishPlan(plan, bundles: bundles)
        print(
            "serving plan: \(plan.pinned.count) pinned, challenger \(plan.challenger.map { "\($0.model.modelName) version \($0.model.version)" } ?? "none") copied"
        )
    }
}
