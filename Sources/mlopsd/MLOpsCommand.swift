import ArgumentParser
import Kernel

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
        subcommands: [ServeCommand.self, ProfileCommand.self, PipelineCommand.self, PredictCommand.self, VersionCommand.self]
    )
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print the mlopsd version.")

    func run() {
        print("mlopsd \(MLOpsVersion.current)")
    }
}

extension ServiceRole: ExpressibleByArgument {}
