import DataRole
import Foundation
import Hummingbird
import HummingbirdTesting
import Kernel
import MLOpsTesting
import Testing

@Suite struct RecoveryTests {
    @Test func restartFailsInterruptedJobsAndDropsHalfWrittenVersions() async throws {
        let first = try await DataHarness()
        defer { first.environment.removeFiles() }
        let bytes = try Data(contentsOf: DataHarness.dataset("penguins.csv"))
        let version = try await first.run { client in
            let id = try #require(try await client.uploadCSV(bytes, name: "penguins", token: first.admin).json()["id"]?.stringValue)
            let job = try await client.runJob("preprocess", ["dataset_id": .string(id), "target": "species"], token: first.admin)
            return try #require(job["result"]?["version"]?.stringValue)
        }

        // What a process killed mid-job leaves: the job still `running`, a version directory
        // renamed into place but never recorded, and work in progress in staging.
        var crashed = Job(type: "preprocess", params: ["dataset_id": "x", "target": "species"], createdBy: "admin")
        crashed.status = .running
        crashed.startedAt = Date()
        let crashedID = crashed.jobID
        try await #require(first.module.jobRunner).store.insert(crashed)
        let data = first.dataDirectory
        let orphan = data.appendingPathComponent("processed/pp-0123456789abcdef")
        try FileManager.default.createDirectory(at: orphan, withIntermediateDirectories: true)
        try Data("half,written\n".utf8).write(to: orphan.appendingPathComponent("train.csv"))
        try Data("outs: []\n".utf8).write(to: orphan.appendingPathExtension("dvc"))
        let leftover = data.appendingPathComponent(".staging/4f1c/test.csv")
        try FileManager.default.createDirectory(at: leftover.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("x\n".utf8).write(to: leftover)

        let restarted = try await DataHarness(reuse: first.environment)
        try await restarted.run { client in
            let job = try await client.send(.get, "/api/v1/data/status/\(crashedID)", token: restarted.admin).json()
            #expect(job["status"] == "failed")
            #expect(job["error"] == "interrupted by restart")
            let versions = try await client.send(.get, "/api/v1/data/versions", token: restarted.admin).json()
            #expect(versions["total"] == 1)
            #expect(versions["versions"]?[0]?["version"]?.stringValue == version)
            let recorded = try #require(versions["versions"]?[0]?["md5"]?.stringValue)
            #expect(try DVCRepository.digestDirectory(data.appendingPathComponent("processed/\(version)")).digest.md5 == recorded)
        }
        // Set aside, not deleted: a catalog restored from an older backup must not cost data.
        #expect(!FileManager.default.fileExists(atPath: orphan.path))
        #expect(!FileManager.default.fileExists(atPath: orphan.appendingPathExtension("dvc").path))
        let quarantined = try FileManager.default.subpathsOfDirectory(atPath: data.appendingPathComponent(".quarantine").path)
        #expect(quarantined.contains { $0.hasSuffix("processed/pp-0123456789abcdef/train.csv") }, "\(quarantined)")
        #expect(quarantined.contains { $0.hasSuffix("processed/pp-0123456789abcdef.dvc") }, "\(quarantined)")
        #expect(!FileManager.default.fileExists(atPath: leftover.path))
        #expect(FileManager.default.fileExists(atPath: data.appendingPathComponent("processed/\(version).dvc").path))
    }
}

/// The real DVC CLI reads what the data role wrote. CI installs it from PyPI and sets
/// `MLOPSD_TEST_DVC` to its path.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["MLOPSD_TEST_DVC"] != nil, "set MLOPSD_TEST_DVC to a dvc executable"))
struct DVCCompatibilityTests {
    static func dvc(_ arguments: [String], in directory: URL) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ProcessInfo.processInfo.environment["MLOPSD_TEST_DVC"] ?? "dvc")
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(["DVC_NO_ANALYTICS": "1"]) { _, new in new }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test func dvcSeesACleanRepositoryAndRestoresDeletedFiles() async throws {
        let harness = try await DataHarness()
        defer { harness.environment.removeFiles() }
        let bytes = try Data(contentsOf: DataHarness.dataset("penguins.csv"))
        let (datasetID, processed) = try await harness.run { client in
            let datasetID = try #require(try await client.uploadCSV(bytes, name: "penguins", token: harness.admin).json()["id"]?.stringValue)
            let job = try await client.runJob("preprocess", ["dataset_id": .string(datasetID), "target": "species"], token: harness.admin)
            let processed = try #require(job["result"]?["version"]?.stringValue)
            let features = try await client.runJob("build-features", ["processed_version": .string(processed)], token: harness.admin)
            #expect(features["status"] == "completed")
            return (datasetID, processed)
        }
        let data = harness.dataDirectory
        let clean = try Self.dvc(["status", "--json"], in: data)
        #expect(clean.status == 0, "\(clean.output)")
        #expect(clean.output.trimmingCharacters(in: .whitespacesAndNewlines) == "{}", "\(clean.output)")

        let train = data.appendingPathComponent("processed/\(processed)/train.csv")
        let original = try Data(contentsOf: train)
        try FileManager.default.removeItem(at: train)
        let raw = data.appendingPathComponent("raw/\(datasetID).csv")
        try FileManager.default.removeItem(at: raw)
        let dirty = try Self.dvc(["status", "--json"], in: data)
        #expect(dirty.output.contains(processed), "\(dirty.output)")
        #expect(dirty.output.contains("\(datasetID).csv"), "\(dirty.output)")

        let checkout = try Self.dvc(["checkout"], in: data)
        #expect(checkout.status == 0, "\(checkout.output)")
        #expect(try Data(contentsOf: train) == original)
        #expect(try Data(contentsOf: raw) == bytes)
        let restored = try Self.dvc(["status", "--json"], in: data)
        #expect(restored.output.trimmingCharacters(in: .whitespacesAndNewlines) == "{}", "\(restored.output)")
    }
}

@Suite struct DataOpenAPITests {
    @Test func documentMatchesTheRouterAndIsServed() async throws {
        let harness = try await DataHarness()
        defer { harness.environment.removeFiles() }
        let coverage = OpenAPICoverage(module: harness.module, environment: harness.environment.kernel)
        #expect(coverage.registered.count >= 10)
        #expect(coverage.undocumented.isEmpty, "routes missing from the OpenAPI document: \(coverage.undocumented)")
        #expect(coverage.phantom.isEmpty, "documented routes that do not exist: \(coverage.phantom)")
        // The kernel's job routes answer every status the spec lists, and only those.
        let statuses = coverage.document["components"]?["schemas"]?["Job"]?["properties"]?["status"]?["enum"]
        #expect(statuses == .array(JobStatus.allCases.map { .string($0.rawValue) }))
        try await harness.run { client in
            let document = try await client.send(.get, "/api/v1/data/openapi.json").json()
            #expect(document["paths"]?["/api/v1/data/datasets"]?["post"]?["requestBody"]?["content"]?["multipart/form-data"] != nil)
            #expect(document["paths"]?["/api/v1/data/status/{job_id}"]?["get"] != nil)
        }
    }
}

@Suite struct DataDirectoryLockTests {
    /// A second data role on the same data directory (without a shared database) refuses to
    /// start, instead of quarantining the first one's work in progress.
    @Test func aSecondInstanceOnTheSameDataDirectoryRefusesToStart() async throws {
        let first = try await DataHarness()
        defer { first.environment.removeFiles() }
        do {
            _ = try await DataRole.module(environment: first.environment.kernel)
            Issue.record("a second data role started on a locked data directory")
        } catch {
            #expect("\(error)".contains("another mlopsd data role uses this data directory"), "\(error)")
        }
    }
}
