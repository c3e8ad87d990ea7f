import Foundation
import Kernel
import MLCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The fault-injection suite: the real binary is killed (SIGKILL, from inside, at a named step of
/// each publish) and restarted on the same directories; after every restart nothing half-written
/// is visible and nothing recorded is lost. A full disk answers 507 and loses nothing; a second
/// instance on a data directory refuses to start. MLflow hanging or failing mid-train and
/// mid-promotion is covered by the tracker suites' proxies (`MLflowFaultTests`).
@Suite(.serialized) struct FaultInjectionTests {
    static let environment = LiveServerTests.environment.merging(["MLOPSD_PREDICT_RELOAD_MS": "200"]) { _, new in new }

    static var datasets: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("../shared/datasets").standardized
    }

    static func adminToken() async throws -> String {
        let codec = await TokenCodec(secret: try #require(environment["JWT_SECRET_KEY"]))
        return try await codec.sign(TokenClaims(subject: "admin", role: .admin, type: .access, issuedAt: Date(), lifetime: .seconds(900), id: "faults"))
    }

    /// Starts `--role all` on `directory` with `point` armed.
    static func start(_ point: FaultPoint?, directory: URL?) async throws -> LiveServer {
        var environment = Self.environment
        if let point { environment[FaultPoint.environmentKey] = point.rawValue }
        return try await LiveServer(role: "all", environment: environment, directory: directory)
    }

    /// Waits for the process to kill itself at its armed point.
    static func expectKilled(_ server: LiveServer, at point: FaultPoint) async throws {
        let deadline = ContinuousClock.now + .seconds(120)
        while server.process.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(!server.process.isRunning, "still running past \(point.rawValue)")
        if server.process.isRunning { server.kill() }
        #expect(server.process.terminationReason == .uncaughtSignal && server.process.terminationStatus == SIGKILL, "\(point.rawValue)")
        _ = server.stop(removingFiles: false)
    }

    static func list(_ server: LiveServer, _ path: String, key: String, token: String) async throws -> [[String: Any]] {
        let reply = try await server.request("GET", path, token: token)
        #expect(reply.status == 200, "\(path): \(String(decoding: reply.body, as: UTF8.self))")
        return try reply.json()[key] as? [[String: Any]] ?? []
    }

    static func job(_ server: LiveServer, role: String, id: String, token: String) async throws -> [String: Any] {
        try await server.request("GET", "api/v1/\(role)/status/\(id)", token: token).json()
    }

    /// A job cut off by the kill is finished on restart, never left running.
    static func expectInterrupted(_ job: [String: Any]) {
        #expect(job["status"] as? String == "failed" && job["error"] as? String == "interrupted by restart", "\(job)")
    }

    /// Every version the catalog lists has exactly its recorded bytes on disk, and the kind's
    /// directory holds nothing else.
    static func expectVersionsIntact(_ server: LiveServer, kind: String, token: String) async throws -> [[String: Any]] {
        let data = server.directory.appendingPathComponent("var/data")
        let versions = try await list(server, "api/v1/data/versions", key: "versions", token: token).filter { $0["kind"] as? String == kind }
        for version in versions {
            let path = try #require(version["path"] as? String)
            #expect(try DVCRepository.digestDirectory(data.appendingPathComponent(path)).digest.md5 == version["md5"] as? String, "\(path)")
        }
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent(kind).path).filter { !$0.hasPrefix(".") }
        let names = versions.compactMap { $0["version"] as? String }
        let recorded = Set(names + names.map { $0 + ".dvc" })
        #expect(Set(onDisk) == recorded, "\(kind)")
        return versions
    }

    /// The publish chain of the product, one armed step per life of the process: each life
    /// checks what the previous one left, then walks into its own step and dies there.
    @Test func killedAtEachPublishStepRestartsConsistent() async throws {
        let admin = try await Self.adminToken()
        let penguins = try Data(contentsOf: Self.datasets.appendingPathComponent("penguins.csv"))
        let penguinsMD5 = DataVersion.digest(of: [UInt8](penguins)).md5

        // Upload: the file reached raw/, the catalog never heard of it.
        var server = try await Self.start(.uploadPublished, directory: nil)
        let directory = server.directory
        defer { try? FileManager.default.removeItem(at: directory) }
        _ = try? await server.request("POST", "api/v1/data/datasets?name=penguins", body: penguins, contentType: "text/csv", token: admin)
        try await Self.expectKilled(server, at: .uploadPublished)

        // Preprocess: the version directory is in place, the catalog never heard of it.
        server = try await Self.start(.versionPublished, directory: directory)
        #expect(try await Self.list(server, "api/v1/data/datasets", key: "datasets", token: admin).isEmpty)
        let upload = try await server.request("POST", "api/v1/data/datasets?name=penguins", body: penguins, contentType: "text/csv", token: admin)
        #expect(upload.status == 201)
        #expect(try upload.json()["md5"] as? String == penguinsMD5)
        let datasetID = try #require(try upload.json()["id"] as? String)
        let firstPreprocess = try await server.json("POST", "api/v1/data/preprocess", ["dataset_id": datasetID, "target": "species"], token: admin)
        let firstPreprocessID = try #require(try firstPreprocess.json()["job_id"] as? String)
        try await Self.expectKilled(server, at: .versionPublished)

        // Preprocess again: recorded this time, the job never finished.
        server = try await Self.start(.versionRecorded, directory: directory)
        Self.expectInterrupted(try await Self.job(server, role: "data", id: firstPreprocessID, token: admin))
        #expect(try await Self.expectVersionsIntact(server, kind: "processed", token: admin).isEmpty)
        let quarantined = try FileManager.default.subpathsOfDirectory(atPath: directory.appendingPathComponent("var/data/.quarantine").path)
        #expect(quarantined.contains { $0.contains("processed/pp-") }, "the unrecorded version is kept aside: \(quarantined)")
        let secondPreprocess = try await server.json("POST", "api/v1/data/preprocess", ["dataset_id": datasetID, "target": "species"], token: admin)
        let secondPreprocessID = try #require(try secondPreprocess.json()["job_id"] as? String)
        try await Self.expectKilled(server, at: .versionRecorded)

        // Train: the bundle is on disk, no tracker or registry knows it.
        server = try await Self.start(.modelStored, directory: directory)
        Self.expectInterrupted(try await Self.job(server, role: "data", id: secondPreprocessID, token: admin))
        let processed = try await Self.expectVersionsIntact(server, kind: "processed", token: admin)
        #expect(processed.count == 1, "the recorded version survives its job")
        let version = try #require(processed.first?["version"] as? String)
        let train: [String: Any] = ["processed_version": version, "model_types": ["logistic_regression"], "metric": "accuracy"]
        let firstTrainID = try #require(try await server.json("POST", "api/v1/train", train, token: admin).json()["job_id"] as? String)
        try await Self.expectKilled(server, at: .modelStored)

        // Train again: registered this time, the job never finished.
        server = try await Self.start(.modelRegistered, directory: directory)
        Self.expectInterrupted(try await Self.job(server, role: "train", id: firstTrainID, token: admin))
        #expect(try await Self.list(server, "api/v1/train/models", key: "models", token: admin).isEmpty)
        let secondTrainID = try #require(try await server.json("POST", "api/v1/train", train, token: admin).json()["job_id"] as? String)
        try await Self.expectKilled(server, at: .modelRegistered)

        // Promote: the champion's bundle is stored, the pointer not yet written.
        server = try await Self.start(.championBundleStored, directory: directory)
        Self.expectInterrupted(try await Self.job(server, role: "train", id: secondTrainID, token: admin))
        let latest = try await server.request("GET", "api/v1/train/metrics/logistic_regression", token: admin)
        #expect(latest.status == 200, "the registered model survives its job")
        let bundlePath = try #require(try latest.json()["bundle_path"] as? String)
        let bundle = try Data(contentsOf: directory.appendingPathComponent("var/models").appendingPathComponent(bundlePath))
        #expect(try ModelBundle.load(from: bundle).modelType == "logistic_regression")
        _ = try? await server.json("POST", "api/v1/train/fetch-best-model", ["metric": "accuracy"], token: admin)
        try await Self.expectKilled(server, at: .championBundleStored)

        // Promote again: published this time, the promotion never answered.
        server = try await Self.start(.championPublished, directory: directory)
        // The bundle is stored, but no pointer names it: there is no champion to serve.
        #expect(try ChampionPointer.read(modelsDirectory: directory.appendingPathComponent("var/models")) == nil)
        let listedChampion = try await server.request("GET", "api/v1/train/models", token: admin).json()["champion"]
        #expect(listedChampion == nil || listedChampion is NSNull, "\(String(describing: listedChampion))")
        _ = try? await server.json("POST", "api/v1/train/fetch-best-model", ["metric": "accuracy"], token: admin)
        try await Self.expectKilled(server, at: .championPublished)

        // The champion published before the kill is served, byte for byte.
        server = try await Self.start(nil, directory: directory)
        defer { _ = server.stop(removingFiles: false) }
        let pointer = try #require(try ChampionPointer.read(modelsDirectory: directory.appendingPathComponent("var/models")))
        let served = try Data(contentsOf: directory.appendingPathComponent("var/models").appendingPathComponent(pointer.bundlePath))
        #expect(DataVersion.digest(of: [UInt8](served)).md5 == pointer.bundleMD5)
        let ready = ContinuousClock.now + .seconds(30)
        while try await server.request("GET", "api/v1/predict/ready").status != 200, ContinuousClock.now < ready {
            try await Task.sleep(for: .milliseconds(50))
        }
        let record: [String: Any] = [
            "island": "Biscoe", "bill_length_mm": 48.6, "bill_depth_mm": 16.0, "flipper_length_mm": 230.0,
            "body_mass_g": 5800.0, "sex": "male", "year": 2009,
        ]
        let prediction = try await server.json("POST", "api/v1/predict", ["features": record], token: admin)
        #expect(prediction.status == 200, "\(String(decoding: prediction.body, as: UTF8.self))")
        #expect(try prediction.json()["model_name"] as? String == pointer.modelName)
    }

    /// A data directory on a 2 MiB tmpfs: an upload that does not fit is a 507 and leaves
    /// nothing behind; a job that cannot write its version fails with the reason; once the
    /// volume has room again, both work. Needs root, for `mount`.
    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root")) func aFullDiskIsAnErrorNotACrash() async throws {
        let admin = try await Self.adminToken()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mlopsd-full-\(UUID().uuidString)")
        let data = directory.appendingPathComponent("var/data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        try Self.mount(data, size: "2m")
        defer {
            _ = try? Self.run("/usr/bin/umount", [data.path])
            try? FileManager.default.removeItem(at: directory)
        }
        let server = try await Self.start(nil, directory: directory)
        defer { _ = server.stop(removingFiles: false) }

        let diamonds = try Data(contentsOf: Self.datasets.appendingPathComponent("diamonds.csv"))
        let tooLarge = try await server.request("POST", "api/v1/data/datasets?name=diamonds", body: diamonds, contentType: "text/csv", token: admin)
        #expect(tooLarge.status == 507, "\(String(decoding: tooLarge.body, as: UTF8.self))")
        #expect(try await Self.list(server, "api/v1/data/datasets", key: "datasets", token: admin).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent(".staging").path).isEmpty)

        // Small enough to upload, then the volume fills up before its split is written.
        let penguins = try Data(contentsOf: Self.datasets.appendingPathComponent("penguins.csv"))
        let upload = try await server.request("POST", "api/v1/data/datasets?name=penguins", body: penguins, contentType: "text/csv", token: admin)
        #expect(upload.status == 201, "\(String(decoding: upload.body, as: UTF8.self))")
        let datasetID = try #require(try upload.json()["id"] as? String)
        let filler = data.appendingPathComponent("filler")
        _ = FileManager.default.createFile(atPath: filler.path, contents: nil)
        let handle = try FileHandle(forWritingTo: filler)
        while (try? handle.write(contentsOf: Data(count: 64 * 1024))) != nil {}
        try handle.close()
        let failed = try await server.client.finished(
            try await server.json("POST", "api/v1/data/preprocess", ["dataset_id": datasetID, "target": "species"], token: admin),
            role: "data", token: admin, every: .milliseconds(50)
        )
        #expect(failed["status"] as? String == "failed")
        #expect((failed["error"] as? String)?.lowercased().contains("space") == true, "\(failed)")
        #expect(try await Self.expectVersionsIntact(server, kind: "processed", token: admin).isEmpty)

        // Room again: the same requests succeed on the same process.
        try FileManager.default.removeItem(at: filler)
        try Self.run("/usr/bin/mount", ["-o", "remount,size=64m", data.path])
        let done = try await server.client.finished(
            try await server.json("POST", "api/v1/data/preprocess", ["dataset_id": datasetID, "target": "species"], token: admin),
            role: "data", token: admin, every: .milliseconds(50)
        )
        #expect(done["status"] as? String == "completed", "\(done)")
        let retried = try await server.request("POST", "api/v1/data/datasets?name=diamonds", body: diamonds, contentType: "text/csv", token: admin)
        #expect(retried.status == 201)
        #expect(try await Self.expectVersionsIntact(server, kind: "processed", token: admin).count == 1)
    }

    /// Two processes on one data directory would each quarantine or overwrite the other's
    /// versions: the second refuses to start and says why.
    @Test func aSecondInstanceOnOneDataDirectoryRefusesToStart() async throws {
        let first = try await Self.start(nil, directory: nil)
        defer { _ = first.stop() }
        await #expect {
            _ = try await LiveServer(role: "data", environment: Self.environment, directory: first.directory)
        } throws: { error in
            "\(error)".contains("another mlopsd data role uses this data directory")
        }
        #expect(try await first.request("GET", "health").status == 200)
    }

    static func mount(_ directory: URL, size: String) throws {
        try run("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", directory.path])
    }

    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(tool) \(arguments.joined(separator: " "))")
        return process.terminationStatus
    }
}
