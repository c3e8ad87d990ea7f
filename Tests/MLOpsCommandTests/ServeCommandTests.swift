import Foundation
import Testing

/// Runs the real `mlopsd` binary, as a user or a container would.
enum Binary {
    static var url: URL {
        // The test bundle and the executable are built into the same products directory.
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("mlopsd").path), directory.path != "/" {
            directory.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("mlopsd")
    }

    struct Outcome: Sendable {
        var status: Int32
        var output: String
        var errors: String
    }

    /// Runs `mlopsd` with exactly `environment` (plus PATH) and waits for it to exit, on a thread
    /// of its own: a test waiting for a training run must not hold one of the cooperative pool's
    /// few threads, which every other suite's servers need meanwhile.
    static func run(_ arguments: [String], environment: [String: String], directory: URL, input: String? = nil) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try runBlocking(arguments, environment: environment, directory: directory, input: input) })
            }
        }
    }

    private static func runBlocking(_ arguments: [String], environment: [String: String], directory: URL, input: String?) throws -> Outcome {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.environment = environment.merging(["PATH": "/usr/bin:/bin"]) { current, _ in current }
        process.currentDirectoryURL = directory
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        if let input {
            let pipe = Pipe()
            process.standardInput = pipe
            pipe.fileHandleForWriting.write(Data(input.utf8))
            try pipe.fileHandleForWriting.close()
        } else {
            process.standardInput = FileHandle.nullDevice
        }
        try process.run()
        let outData = output.fileHandleForReading.readDataToEndOfFile()
        let errData = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, output: String(decoding: outData, as: UTF8.self), errors: String(decoding: errData, as: UTF8.self))
    }
}

@Suite struct ServeCommandTests {
    let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mlopsd-cli-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    @Test func missingSecretOutsideDebugExits2() async throws {
        let outcome = try await Binary.run(
            ["serve", "--role", "auth", "--port", "0"], environment: ["ADMIN_PASSWORD": "a-real-password"], directory: directory)
        #expect(outcome.status == 2)
        #expect(outcome.errors.contains("JWT_SECRET_KEY"))
        // Refused before doing anything: no state was created.
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("var").path))
    }

    @Test func invalidValueExits2NamingTheVariable() async throws {
        let outcome = try await Binary.run(
            ["serve"],
            environment: ["JWT_SECRET_KEY": String(repeating: "k", count: 40), "ADMIN_PASSWORD": "a-real-password", "MLOPSD_PORT": "http"],
            directory: directory
        )
        #expect(outcome.status == 2)
        #expect(outcome.errors.contains("MLOPSD_PORT"))
    }

    /// Each role reads its own settings as it assembles: a bad one stops the start the same way.
    @Test func invalidRoleSettingsExit2NamingTheVariable() async throws {
        let cases = [
            ("train", "MLFLOW_TRACKING_URI", "not a url"), ("train", "MLOPSD_TRAIN_MAX_SECONDS", "0"),
            ("auth", "MLOPSD_BCRYPT_COST", "4"), ("data", "MLOPSD_MAX_UPLOAD_FIELDS", "10"), ("predict", "MLOPSD_PREDICT_MAX_BATCH", "0"),
            ("auth", "MLOPSD_PASSWORD_RESET_DELIVERY", "email"),
        ]
        // Its own directory: the kernel has opened its state by the time a role reads settings.
        let own = FileManager.default.temporaryDirectory.appendingPathComponent("mlopsd-role-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: own, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: own) }
        for (role, variable, value) in cases {
            let outcome = try await Binary.run(
                ["serve", "--role", role, "--port", "0"],
                environment: ["JWT_SECRET_KEY": String(repeating: "k", count: 40), "ADMIN_PASSWORD": "a-real-password", variable: value],
                directory: own
            )
            #expect(outcome.status == 2, "\(variable)")
            #expect(outcome.errors.contains("configuration error: \(variable)"), "\(outcome.errors)")
        }
    }

    @Test func dotEnvIsReadAndTheEnvironmentWins() async throws {
        try "JWT_SECRET_KEY=short\nADMIN_PASSWORD=a-real-password\n".write(
            to: directory.appendingPathComponent(".env"), atomically: true, encoding: .utf8
        )
        let fromFile = try await Binary.run(["serve", "--role", "auth"], environment: [:], directory: directory)
        #expect(fromFile.status == 2)
        #expect(fromFile.errors.contains("JWT_SECRET_KEY: must be at least 32 bytes"))
        let overridden = try await Binary.run(["serve", "--role", "auth"], environment: ["MLOPSD_PORT": "nope"], directory: directory)
        #expect(overridden.errors.contains("MLOPSD_PORT"))
    }

    @Test func versionAndHelp() async throws {
        let version = try await Binary.run(["version"], environment: [:], directory: directory)
        #expect(version.status == 0)
        #expect(version.output.hasPrefix("mlopsd "))
        let help = try await Binary.run(["serve", "--help"], environment: [:], directory: directory)
        #expect(help.status == 0)
        #expect(help.output.contains("--role"))
        #expect(help.output.contains("8004"))
    }
}
