import Foundation
import Kernel
import Testing

private let straceTool = "/usr/bin/strace"

/// What a power cut would keep cannot be shown by killing a process (the page cache survives
/// it), so this suite reads the order of the real binary's system calls under `strace`: for
/// everything the product publishes, the bytes are fsynced before the rename that names them,
/// the directory after it, and only then does the database commit (SQLite, `synchronous = FULL`)
/// that records them.
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: straceTool), "needs strace (CI installs it)"))
struct DurabilityTraceTests {

    /// One traced system call: its name and the paths it names (file descriptors resolved by -y).
    struct Call {
        let name: String
        let paths: [String]
    }

    /// The traced calls that succeeded, in the order they returned. A call another thread
    /// interrupted appears in two lines ("fsync(7</a> <unfinished ...>", then
    /// "<... fsync resumed>) = 0"); it counts once, when it returns.
    static func calls(in log: String) -> [Call] {
        var calls: [Call] = []
        var unfinished: [Substring: Call] = [:]
        for line in log.split(separator: "\n") {
            guard let thread = line.split(separator: " ").first, let open = line.firstIndex(of: "(") else { continue }
            let succeeded = line.hasSuffix("= 0")
            if line.contains("resumed>") {
                if let call = unfinished.removeValue(forKey: thread), succeeded { calls.append(call) }
                continue
            }
            let name = String(line[..<open].split(separator: " ").last ?? "")
            guard ["fsync", "fdatasync", "rename", "renameat", "renameat2"].contains(name) else { continue }
            var paths: [String] = []
            for piece in line[open...].split(whereSeparator: { $0 == "<" || $0 == ">" || $0 == "\"" }) where piece.hasPrefix("/") {
                paths.append(String(piece))
            }
            let call = Call(name: name, paths: paths)
            if line.hasSuffix("<unfinished ...>") {
                unfinished[thread] = call
            } else if succeeded {
                calls.append(call)
            }
        }
        return calls
    }

    /// The publish of `target`: its bytes synced (under whatever staging name), renamed to it,
    /// its directory synced, then (for a `synchronous = FULL` database) a commit of `database`
    /// before the flow's next publish (`next`), which is what records it; in that order.
    static func expectDurablePublish(
        _ calls: [Call], target: String, database: String?, next: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let rename = calls.lastIndex(where: { $0.name.hasPrefix("rename") && $0.paths.last == target }) else {
            Issue.record("no rename to \(target)", sourceLocation: sourceLocation)
            return
        }
        let staged = calls[rename].paths.first ?? "?"
        let syncedBytes = calls[..<rename].contains { $0.name.hasSuffix("sync") && $0.paths.first == staged }
        #expect(syncedBytes, "\(staged) was not fsynced before becoming \(target)", sourceLocation: sourceLocation)
        let directory = URL(fileURLWithPath: target).deletingLastPathComponent().path
        guard let directorySync = calls[rename...].firstIndex(where: { $0.name == "fsync" && $0.paths.first == directory }) else {
            Issue.record("\(directory) was not fsynced after the rename to \(target)", sourceLocation: sourceLocation)
            return
        }
        guard let database else { return }
        // Before the next step: a checkpoint at shutdown also syncs the WAL, and must not count.
        let end = next.flatMap { next in calls.firstIndex { $0.name.hasPrefix("rename") && $0.paths.last == next } } ?? calls.endIndex
        let window = calls[directorySync..<max(directorySync, end)]
        let recorded = window.contains { $0.name.hasSuffix("sync") && ($0.paths.first?.hasSuffix(database + "-wal") ?? false) }
        #expect(
            recorded,
            "no commit of \(database) after \(target) was durable; synced after it: \(window.filter { $0.name.hasSuffix("sync") }.compactMap(\.paths.first).prefix(8))",
            sourceLocation: sourceLocation)
    }

    @Test func everyPublishIsDurableBeforeItIsRecorded() async throws {
        let server = try await LiveServer(role: "all", environment: FaultInjectionTests.environment)
        let directory = server.directory.resolvingSymlinksInPath()
        defer { _ = server.stop() }
        let trace = try await Trace(attachingTo: server.process.processIdentifier)
        let admin = try await FaultInjectionTests.adminToken()
        func finished(_ reply: LiveServer.Reply, role: String) async throws -> [String: Any] {
            try await server.client.finished(reply, role: role, token: admin, every: .milliseconds(50))
        }

        let penguins = try Data(contentsOf: FaultInjectionTests.datasets.appendingPathComponent("penguins.csv"))
        let upload = try await server.request("POST", "api/v1/data/datasets?name=penguins", body: penguins, contentType: "text/csv", token: admin)
        let datasetID = try #require(try upload.json()["id"] as? String)
        let processed = try await finished(
            try await server.json("POST", "api/v1/data/preprocess", ["dataset_id": datasetID, "target": "species"], token: admin), role: "data")
        let version = try #require((processed["result"] as? [String: Any])?["version"] as? String)
        let trained = try await finished(
            try await server.json(
                "POST", "api/v1/train",
                [
                    "processed_version": version, "model_types": ["logistic_regression"], "metric": "accuracy",
                ], token: admin), role: "train")
        let entry = try #require(((trained["result"] as? [String: Any])?["leaderboard"] as? [[String: Any]])?.first)
        let bundlePath = try #require(entry["bundle_path"] as? String)
        let promoted = try await server.json("POST", "api/v1/train/fetch-best-model", ["metric": "accuracy"], token: admin)
        #expect(promoted.status == 200)
        let champion = try #require((try promoted.json()["champion"] as? [String: Any])?["bundle_path"] as? String)

        // strace ends with the process it traces (signals sent to it here would not reach it:
        // it starts with the test process's signal mask, which blocks them).
        #expect(server.stop(removingFiles: false) == 0)
        let calls = Self.calls(in: try trace.finish())
        let data = directory.appendingPathComponent("var/data").path
        let models = directory.appendingPathComponent("var/models").path
        Self.expectDurablePublish(calls, target: "\(data)/raw/\(datasetID).csv", database: "data.sqlite", next: "\(data)/processed/\(version)")
        Self.expectDurablePublish(calls, target: "\(data)/processed/\(version)", database: "data.sqlite", next: "\(models)/\(bundlePath)")
        // The registry's database keeps `NORMAL`: a row lost to a power cut leaves an unnamed
        // bundle, never a row naming missing bytes.
        Self.expectDurablePublish(calls, target: "\(models)/\(bundlePath)", database: nil)
        // The champion: its bundle, then the pointer that names it (a file, not a database row).
        Self.expectDurablePublish(calls, target: "\(models)/\(champion)", database: nil)
        guard let pointer = calls.lastIndex(where: { $0.name.hasPrefix("rename") && $0.paths.last == "\(models)/champion.json" }),
            let bundle = calls.lastIndex(where: { $0.name.hasPrefix("rename") && $0.paths.last == "\(models)/\(champion)" })
        else {
            Issue.record("the champion was not published by renames")
            return
        }
        #expect(bundle < pointer, "the pointer named the bundle before the bundle was in place")
        #expect(calls[pointer...].contains { $0.name == "fsync" && $0.paths.first == models }, "champion.json's directory was not fsynced")
    }
}

/// `strace` attached to a running process (all its threads, and those it starts), writing the
/// calls to a file until that process exits.
final class Trace {
    private let process = Process()
    private let log = FileManager.default.temporaryDirectory.appendingPathComponent("mlopsd-strace-\(UUID().uuidString).log")
    private let messages = FileManager.default.temporaryDirectory.appendingPathComponent("mlopsd-strace-\(UUID().uuidString).err")

    init(attachingTo pid: Int32) async throws {
        process.executableURL = URL(fileURLWithPath: straceTool)
        process.arguments = ["-f", "-y", "-e", "trace=fsync,fdatasync,rename,renameat,renameat2", "-o", log.path, "-p", "\(pid)"]
        _ = FileManager.default.createFile(atPath: messages.path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: messages)
        try process.run()
        // strace reports each thread it attached to; the calls that matter come after.
        let deadline = ContinuousClock.now + .seconds(30)
        while !attached, process.isRunning, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        guard attached else {
            throw LiveServer.LiveServerError(
                description: "strace did not attach: \(String(decoding: (try? Data(contentsOf: messages)) ?? Data(), as: UTF8.self))")
        }
    }

    private var attached: Bool {
        String(decoding: (try? Data(contentsOf: messages)) ?? Data(), as: UTF8.self).contains("attached")
    }

    /// The log, once the traced process has exited.
    func finish() throws -> String {
        process.waitUntilExit()
        return try String(contentsOf: log, encoding: .utf8)
    }

    deinit {
        try? FileManager.default.removeItem(at: log)
        try? FileManager.default.removeItem(at: messages)
    }
}
