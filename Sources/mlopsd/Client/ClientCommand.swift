import ArgumentParser
import Foundation
import Kernel
import MLOpsAPI
import MLOpsClient

/// `mlopsd client …`: the REST API from a terminal or a script. Exit status: 0 done, 1 the
/// request or job failed, 2 usage, 3 network or authentication, 130 interrupted while waiting.
struct ClientCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Talk to an mlopsd server: log in, upload, preprocess, train, promote, predict.",
        discussion: """
            The server is --url, else $MLOPSD_URL, else http://localhost:8000 (`serve --role all`; \
            nginx in front of the roles listens on :8080). Tokens are kept per server in \
            ~/.config/mlopsd/credentials.json (mode 0600) and refreshed automatically.
            Exit status: 0 done, 1 the request or job failed, 2 usage, 3 network or authentication, \
            130 interrupted while waiting.
            """,
        subcommands: [
            ClientLogin.self, ClientLogout.self, ClientWhoami.self, ClientUsers.self, ClientDatasets.self,
            ClientPreprocess.self, ClientFeatures.self, ClientTrain.self, ClientJobs.self, ClientPromote.self,
            ClientModels.self, ClientCanary.self, ClientPredict.self, ClientDrift.self, ClientPerformance.self, ClientFeedback.self,
        ]
    )
}

struct ClientOptions: ParsableArguments {
    @Option(help: "Server URL (default: $MLOPSD_URL, else http://localhost:8000).")
    var url: String?

    @Flag(help: "Print the server's JSON instead of tables.")
    var json = false

    var server: String {
        url ?? ProcessInfo.processInfo.environment["MLOPSD_URL"] ?? "http://localhost:8000"
    }

    var client: APIClient {
        get throws { try APIClient(server: server, store: .standard(), userAgent: "mlopsd-client/\(MLOpsVersion.current)") }
    }
    var terminal: Terminal { Terminal() }

    /// Runs a command body, turning client errors into a message and the documented exit status.
    func run(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as ClientError {
            Terminal().status("error: \(error)")
            throw ExitCode(error.exitCode)
        }
    }

    /// An answer as JSON, keys sorted, as the API spells them.
    func print(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        terminal.output((try? encoder.encode(value)).map { String(decoding: $0, as: UTF8.self) } ?? "null")
    }
}

/// `--wait` and what Ctrl-C does while waiting, for commands that start jobs.
struct WaitOptions: ParsableArguments {
    @Flag(help: "Wait for the job to finish, showing its progress.")
    var wait = false

    @Flag(help: "With --wait: cancel the job on Ctrl-C (by default only the waiting stops).")
    var cancelOnInterrupt = false

    /// Prints the 202 answer, or waits and returns the finished job.
    func follow(_ accepted: Components.Schemas.JobAccepted, retryAfter: Int?, role: JobRole, options: ClientOptions) async throws -> JobRecord? {
        guard wait else {
            if options.json {
                options.print(accepted)
            } else {
                options.terminal.output("job \(accepted.jobId) \(accepted.status): mlopsd client jobs show \(accepted.jobId)")
            }
            return nil
        }
        let waiter = JobWaiter(client: try options.client, terminal: options.terminal)
        return try await waiter.wait(role: role, jobID: accepted.jobId, firstDelay: retryAfter.map(Double.init), cancelOnInterrupt: cancelOnInterrupt)
    }
}

/// A password from the terminal without echo, or the first line of standard input in scripts.
enum PasswordPrompt {
    static func read(_ prompt: String) throws -> String {
        if isatty(STDIN_FILENO) == 1 {
            FileHandle.standardError.write(Data(prompt.utf8))
            var original = termios()
            tcgetattr(STDIN_FILENO, &original)
            var silent = original
            silent.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSANOW, &silent)
            defer {
                tcsetattr(STDIN_FILENO, TCSANOW, &original)
                FileHandle.standardError.write(Data("\n".utf8))
            }
            return readLine(strippingNewline: true) ?? ""
        }
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw ClientError.usage("no password on standard input")
        }
        return line
    }
}

extension String {
    /// Safe inside a URL path segment or query value: unreserved characters only, the rest escaped.
    var urlComponentEncoded: String {
        addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? ""
    }

    // RFC 3986's unreserved set; `CharacterSet.alphanumerics` would let non-ASCII letters through.
    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
}
