import ArgumentParser
import Foundation
import Kernel
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
            ClientModels.self, ClientPredict.self,
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

    var client: APIClient { APIClient(server: server, store: .standard()) }
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

    func print(_ document: JSONValue) {
        terminal.output(document.jsonString())
    }
}

/// `--wait` and what Ctrl-C does while waiting, for commands that start jobs.
struct WaitOptions: ParsableArguments {
    @Flag(help: "Wait for the job to finish, showing its progress.")
    var wait = false

    @Flag(help: "With --wait: cancel the job on Ctrl-C (by default only the waiting stops).")
    var cancelOnInterrupt = false

    /// Prints the 202 answer, or waits and returns the finished job.
    func follow(_ accepted: APIClient.Reply, role: String, options: ClientOptions) async throws -> JSONValue? {
        let body = try accepted.json
        guard let jobID = body["job_id"]?.stringValue else { throw ClientError.network("the server accepted the job without an id") }
        guard wait else {
            if options.json {
                options.print(body)
            } else {
                options.terminal.output("job \(jobID) \(body["status"]?.stringValue ?? "pending"): mlopsd client jobs show \(jobID)")
            }
            return nil
        }
        let waiter = JobWaiter(client: options.client, terminal: options.terminal)
        return try await waiter.wait(role: role, jobID: jobID, firstDelay: accepted.retryAfter, cancelOnInterrupt: cancelOnInterrupt)
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
