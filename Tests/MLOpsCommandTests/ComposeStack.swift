import Foundation
import Testing

/// The compose stack's containers, driven through the engine's own command line. `.ci/run` sets
/// MLOPSD_TEST_CONTAINER_ENGINE (podman or docker) and MLOPSD_TEST_COMPOSE_PROJECT when the edge
/// under test is `make up`'s stack rather than plain processes.
struct ComposeStack: Sendable {
    let engine: String
    let project: String

    static let current: ComposeStack? = Edge.environment["MLOPSD_TEST_CONTAINER_ENGINE"].map {
        ComposeStack(engine: $0, project: Edge.environment["MLOPSD_TEST_COMPOSE_PROJECT"] ?? "mlopsd")
    }

    struct CommandFailed: Error, CustomStringConvertible {
        let arguments: [String]
        let status: Int32
        let output: String
        var description: String { "\(arguments.joined(separator: " ")) exited with \(status): \(output)" }
    }

    @discardableResult
    func run(_ arguments: [String]) throws -> String {
        let process = Process()
        // Foundation sees a child exit when a descriptor the child inherited closes; `podman start`
        // leaves the container's monitor running with every descriptor it was given, so the
        // command closes all but the standard three first (and writes to a file, not a pipe).
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments =
            [
                "-c", #"for fd in /proc/$$/fd/*; do fd=${fd##*/}; [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; exec "$@""#,
                "close-fds", engine,
            ] + arguments
        let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("compose-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let output = try FileHandle(forWritingTo: outputURL)
        defer { try? output.close() }
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: try Data(contentsOf: outputURL), as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw CommandFailed(arguments: [engine] + arguments, status: process.terminationStatus, output: text)
        }
        return text
    }

    /// Running containers of one service, by the labels Docker Compose and podman-compose both set.
    func containers(service: String) throws -> [String] {
        try run([
            "ps", "--filter", "label=com.docker.compose.project=\(project)", "--filter", "label=com.docker.compose.service=\(service)",
            "--format", "{{.Names}}",
        ]).split(separator: "\n").map(String.init).sorted()
    }

    /// GET on a container's own loopback, which nginx does not route (`/metrics`, a replica's `/ready`).
    func get(_ container: String, port: Int, path: String) throws -> String {
        try run(["exec", container, "curl", "-fsS", "--max-time", "2", "http://127.0.0.1:\(port)\(path)"])
    }

    /// Records this predict replica has answered, from its own Prometheus counter.
    func predictionsServed(by container: String) throws -> Double {
        try get(container, port: 8003, path: "/metrics").split(separator: "\n")
            .filter { $0.hasPrefix("mlopsd_predictions_total") }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }
            .reduce(0, +)
    }
}
