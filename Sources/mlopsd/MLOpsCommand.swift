import ArgumentParser
import Foundation
import Kernel
import NIOCore
import NIOPosix

@main
struct MLOpsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mlopsd",
        abstract: "mlopsd — from a CSV to an authenticated prediction API, every step tracked.",
        discussion: """
            One binary, four roles (data, train, predict, auth) on a shared kernel. `serve --role all` runs \
            them in one process; docker compose runs the same image once per role behind nginx.
            Configuration comes from the environment and an optional .env file (see env.example).
            """,
        version: MLOpsVersion.current,
        subcommands: [
            ServeCommand.self, ClientCommand.self, DatabaseCommand.self, ProfileCommand.self, PipelineCommand.self, PredictCommand.self, VersionCommand.self,
        ]
    )

    /// As ArgumentParser's own entry point, but a usage error exits with 2 (its default is 64), the
    /// status scripts expect from a command line tool and the one `mlopsd client` documents. It is
    /// synchronous so that the executor is chosen before any task runs; the command is parsed
    /// here for that, and again by the task that runs it (parsing has no side effects).
    static func main() {
        do {
            if try (parseAsRoot() as? ServeCommand)?.runsOnEventLoops(environment: ProcessInfo.processInfo.environment) == true {
                let installed = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
                ServeCommand.executor.store(installed ? .eventLoops : .unavailable, ordering: .relaxed)
            }
        } catch {
            fail(error)
        }
        Task {
            do {
                var command = try parseAsRoot()
                if var asynchronous = command as? any AsyncParsableCommand {
                    try await asynchronous.run()
                } else {
                    try command.run()
                }
            } catch {
                fail(error)
            }
            Foundation.exit(0)
        }
        dispatchMain()
    }

    private static func fail(_ error: any Error) -> Never {
        if exitCode(for: error) == .validationFailure {
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
        exit(withError: error)
    }
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the mlopsd version.")

    func run() {
        print("mlopsd \(MLOpsVersion.current)")
    }
}

extension ServiceRole: ExpressibleByArgument {}
