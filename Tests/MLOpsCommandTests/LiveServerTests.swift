import Foundation
import Kernel
import Synchronization
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `mlopsd serve` started as a real process on a free port, talked to over real HTTP.
final class LiveServer: Sendable {
    let process: Process
    let baseURL: URL
    let directory: URL
    /// Where the server's stderr is read; its handler goes once the process has exited.
    private let errorOutput: FileHandle
    /// The first 64 KiB of the server's log, for messages when a test fails.
    let log: StartupLog

    /// `directory` holds state and data; pass the one of a stopped server to restart it.
    ///
    /// Waits without blocking a thread: suites starting servers side by side must not starve
    /// the cooperative pool other tests' handlers run on.
    init(role: String, environment: [String: String], directory existing: URL? = nil) async throws {
        directory = existing ?? FileManager.default.temporaryDirectory.appendingPathComponent("mlopsd-live-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = Binary.url
        process.arguments = ["serve", "--role", role, "--port", "0"]
        process.environment = environment.merging(["PATH": "/usr/bin:/bin", "MLOPSD_STATE_DIR": directory.appendingPathComponent("state").path]) { mine, _ in
            mine
        }
        process.currentDirectoryURL = directory
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        // Keeps draining stderr for the server's whole life, so it never blocks on a full pipe;
        // only the start of the log is kept, to find the address the server bound.
        let log = StartupLog()
        self.log = log
        errorOutput = errors.fileHandleForReading
        errorOutput.readabilityHandler = { handle in log.append(handle.availableData) }
        try process.run()
        let deadline = ContinuousClock.now + .seconds(30)
        while log.port == nil, ContinuousClock.now < deadline, process.isRunning {
            try await Task.sleep(for: .milliseconds(20))
        }
        guard let port = log.port else {
            process.terminate()
            process.waitUntilExit()
            errorOutput.readabilityHandler = nil
            throw LiveServerError(description: "server did not start: \(log.text)")
        }
        baseURL = URL(string: "http://127.0.0.1:\(port)")!
    }

    final class StartupLog: Sendable {
        private let state = Mutex("")

        var text: String { state.withLock { $0 } }

        func append(_ chunk: Data) {
            state.withLock { text in
                if text.utf8.count < 1 << 16 { text += String(decoding: chunk, as: UTF8.self) }
            }
        }

        var port: Int? {
            let text = self.text
            guard let range = text.range(of: #"listening on 127\.0\.0\.1:(\d+)"#, options: .regularExpression) else { return nil }
            return Int(text[range].split(separator: ":").last ?? "")
        }
    }

    struct LiveServerError: Error, CustomStringConvertible {
        let description: String
    }

    typealias Reply = HTTPTestClient.Reply

    var client: HTTPTestClient { HTTPTestClient(baseURL: baseURL) }

    func request(
        _ method: String, _ path: String, body: Data? = nil, contentType: String? = nil, token: String? = nil, headers: [String: String] = [:]
    ) async throws -> Reply {
        try await client.request(method, path, body: body, contentType: contentType, token: token, headers: headers)
    }

    func json(_ method: String, _ path: String, _ object: [String: Any], token: String? = nil) async throws -> Reply {
        try await client.json(method, path, object, token: token)
    }

    /// Once the process is gone its stderr is at end of file, where the handler would be called
    /// again and again with nothing; before that, it must keep draining so the server never
    /// blocks on a full pipe.
    private func stopReading() {
        errorOutput.readabilityHandler = nil
    }

    /// SIGKILL, as a crash or an OOM kill ends it: nothing is cleaned up, the directory stays.
    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        stopReading()
    }

    /// SIGTERM, as docker stop sends; returns the exit status.
    func stop(removingFiles: Bool = true) -> Int32 {
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        stopReading()
        if removingFiles { try? FileManager.default.removeItem(at: directory) }
        return process.terminationStatus
    }
}

@Suite(.serialized) struct LiveServerTests {
    static let environment = [
        "JWT_SECRET_KEY": "live-test-secret-0123456789abcdefghijklmnop",
        "ADMIN_PASSWORD": "live-admin-password",
        "MLOPSD_BCRYPT_COST": "12",
    ]

    @Test func authRoleEndToEnd() async throws {
        let server = try await LiveServer(role: "auth", environment: Self.environment)
        defer { #expect(server.stop() == 0, "graceful shutdown on SIGTERM") }

        let form = try await server.request(
            "POST", "api/v1/auth/login", body: Data("username=admin&password=live-admin-password".utf8),
            contentType: "application/x-www-form-urlencoded"
        )
        #expect(form.status == 200)
        let admin = try #require(try form.json()["access_token"] as? String)
        let json = try await server.json("POST", "api/v1/auth/login", ["username": "admin", "password": "live-admin-password"])
        #expect(json.status == 200)

        let me = try await server.request("GET", "api/v1/auth/me", token: admin)
        #expect(try me.json()["role"] as? String == "admin")

        let created = try await server.json(
            "POST", "api/v1/auth/users", ["username": "dana", "password": "dana-password", "email": "dana@example.org"], token: admin
        )
        #expect(created.status == 201)
        let dana = try #require(
            try await server.json("POST", "api/v1/auth/login", ["username": "dana", "password": "dana-password"]).json()["access_token"] as? String)
        #expect(try await server.request("GET", "api/v1/auth/users", token: dana).status == 403)

        let tampered = admin.dropLast(2) + (admin.hasSuffix("AA") ? "BB" : "AA")
        let forged = try await server.request("GET", "api/v1/auth/me", token: String(tampered))
        #expect(forged.status == 401)
        #expect(forged.headers["www-authenticate"]?.hasPrefix("Bearer") == true)

        let metrics = try await server.request("GET", "metrics")
        #expect(metrics.status == 200)
        #expect(String(decoding: metrics.body, as: UTF8.self).contains(#"mlopsd_http_requests_total{route="/api/v1/auth/users",method="POST",status="201"} 1"#))
        #expect(try await server.request("GET", "ready").status == 200)
    }

    @Test func allRoleServesEveryRole() async throws {
        let server = try await LiveServer(role: "all", environment: Self.environment)
        defer { _ = server.stop() }
        #expect(try await server.request("GET", "health").status == 200)
        let login = try await server.json("POST", "api/v1/auth/login", ["username": "admin", "password": "live-admin-password"])
        #expect(login.status == 200)
        let admin = try #require(try login.json()["access_token"] as? String)
        #expect(try await server.request("GET", "api/v1/data/datasets").status == 401)
        let upload = try await server.request("POST", "api/v1/data/datasets?name=tiny", body: Data("a,b\n1,x\n".utf8), contentType: "text/csv", token: admin)
        #expect(upload.status == 201)
        #expect(try await server.request("GET", "api/v1/train/models").status == 401)
        #expect(try await server.request("GET", "api/v1/predict/models").status == 401)
        // Alive, but not ready to predict until a champion is promoted.
        let ready = try await server.request("GET", "api/v1/predict/ready")
        #expect(ready.status == 503)
        #expect(ready.headers["x-request-id"] != nil)
        #expect(try await server.request("GET", "api/v1/predict/health").status == 200)
    }

    /// The product's path in one process: upload → preprocess → train → promote → predict as a
    /// plain user; a promotion switches the predict role at once, without a restart.
    @Test func endToEndFromCSVToPredictionsInOneProcess() async throws {
        // The poll an hour apart: only the in-process announcement can bring a champion in time.
        let server = try await LiveServer(role: "all", environment: Self.environment.merging(["MLOPSD_PREDICT_RELOAD_MS": "3600000"]) { _, new in new })
        defer { _ = server.stop() }
        let admin = try #require(
            try await server.json("POST", "api/v1/auth/login", ["username": "admin", "password": "live-admin-password"]).json()["access_token"] as? String)
        #expect(
            try await server.json("POST", "api/v1/auth/users", ["username": "erin", "password": "erin-password-1", "email": "erin@example.org"], token: admin)
                .status == 201)
        let user = try #require(
            try await server.json("POST", "api/v1/auth/login", ["username": "erin", "password": "erin-password-1"]).json()["access_token"] as? String)

        func finished(_ reply: LiveServer.Reply, role: String) async throws -> [String: Any] {
            try await server.client.finished(reply, role: role, token: admin, every: .milliseconds(50))
        }
        let penguins = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("../shared/datasets/penguins.csv").standardized
        let upload = try await server.request(
            "POST", "api/v1/data/datasets?name=penguins", body: try Data(contentsOf: penguins), contentType: "text/csv", token: admin)
        let dataset = try #require(try upload.json()["id"] as? String)
        let processed = try await finished(
            try await server.json("POST", "api/v1/data/preprocess", ["dataset_id": dataset, "target": "species"], token: admin), role: "data")
        let version = try #require((processed["result"] as? [String: Any])?["version"] as? String)
        let trained = try await finished(
            try await server.json(
                "POST", "api/v1/train",
                [
                    "processed_version": version, "model_types": ["logistic_regression", "decision_tree"], "metric": "accuracy",
                ], token: admin), role: "train")
        #expect(trained["status"] as? String == "completed", "\(trained)")

        let promoted = try await server.json("POST", "api/v1/train/fetch-best-model", ["metric": "accuracy"], token: admin)
        #expect(promoted.status == 200)
        let record: [String: Any] = [
            "island": "Biscoe", "bill_length_mm": 48.6, "bill_depth_mm": 16.0, "flipper_length_mm": 230.0,
            "body_mass_g": 5800.0, "sex": "male", "year": 2009,
        ]
        // In one process the promotion waits for the predict role to load the champion: the very
        // next prediction is served by it.
        let prediction = try await server.json("POST", "api/v1/predict", ["features": record], token: user)
        #expect(prediction.status == 200, "\(String(decoding: prediction.body, as: UTF8.self))")
        #expect(try prediction.json()["prediction"] as? String == "Gentoo")
        let firstType = try #require((try promoted.json()["champion"] as? [String: Any])?["model_type"] as? String)

        // Promote the other model type: the predict role follows without a restart.
        let other = firstType == "logistic_regression" ? "decision_tree" : "logistic_regression"
        let again = try await server.json("POST", "api/v1/train/fetch-best-model", ["metric": "accuracy", "model_type": other], token: admin)
        #expect(again.status == 200)
        let wanted = try #require((try again.json()["champion"] as? [String: Any])?["model_name"] as? String)
        let served = try await server.json("POST", "api/v1/predict", ["features": record], token: user).json()["model_name"] as? String
        #expect(served == wanted)
        #expect(try await server.request("GET", "ready").status == 200)
    }

    /// A data role killed in the middle of a job comes back consistent: the job is finished
    /// (completed, or failed as interrupted), and only recorded versions exist on disk.
    @Test func dataRoleKilledMidJobRestartsConsistent() async throws {
        let server = try await LiveServer(role: "data", environment: Self.environment)
        let directory = server.directory
        defer { try? FileManager.default.removeItem(at: directory) }
        let codec = await TokenCodec(secret: Self.environment["JWT_SECRET_KEY"]!)
        let admin = try await codec.sign(TokenClaims(subject: "admin", role: .admin, type: .access, issuedAt: Date(), lifetime: .seconds(600), id: "live"))
        let diamonds = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("../shared/datasets/diamonds.csv").standardized
        let upload = try await server.request(
            "POST", "api/v1/data/datasets?name=diamonds", body: try Data(contentsOf: diamonds), contentType: "text/csv", token: admin)
        #expect(upload.status == 201)
        let datasetID = try #require(try upload.json()["id"] as? String)
        let accepted = try await server.json("POST", "api/v1/data/preprocess", ["dataset_id": datasetID, "target": "price"], token: admin)
        #expect(accepted.status == 202)
        let jobID = try #require(try accepted.json()["job_id"] as? String)
        var status = "pending"
        while status == "pending" {
            status = try await server.request("GET", "api/v1/data/status/\(jobID)", token: admin).json()["status"] as? String ?? "?"
        }
        server.kill()

        let restarted = try await LiveServer(role: "data", environment: Self.environment, directory: directory)
        defer { _ = restarted.stop() }
        let job = try await restarted.request("GET", "api/v1/data/status/\(jobID)", token: admin).json()
        let final = try #require(job["status"] as? String)
        #expect(final == "completed" || (final == "failed" && job["error"] as? String == "interrupted by restart"), "\(job)")
        let versions = try #require(try await restarted.request("GET", "api/v1/data/versions", token: admin).json()["versions"] as? [[String: Any]])
        #expect(versions.count == (final == "completed" ? 1 : 0))
        let data = directory.appendingPathComponent("var/data")
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent("processed").path).filter { !$0.hasPrefix(".") }
        #expect(Set(onDisk) == Set(versions.flatMap { version in [version["version"] as! String, (version["version"] as! String) + ".dvc"] }))
        for version in versions {
            let digest = try DVCRepository.digestDirectory(data.appendingPathComponent(version["path"] as! String))
            #expect(digest.digest.md5 == version["md5"] as? String)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: data.appendingPathComponent(".staging").path).isEmpty)
        // The role still works after the crash.
        let again = try await restarted.json("POST", "api/v1/data/preprocess", ["dataset_id": datasetID, "target": "price"], token: admin)
        #expect(again.status == 202)
    }
}
