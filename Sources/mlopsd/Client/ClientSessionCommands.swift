import ArgumentParser
import Foundation
import MLOpsAPI
import MLOpsClient

struct ClientLogin: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Log in and keep the tokens for this server (password asked without echo, or read from stdin)."
    )
    @OptionGroup var options: ClientOptions
    @Option(help: "Account name (default: $MLOPSD_USERNAME, else admin).")
    var username: String?

    func run() async throws {
        try await options.run {
            let name = username ?? ProcessInfo.processInfo.environment["MLOPSD_USERNAME"] ?? "admin"
            let password = try PasswordPrompt.read("Password for \(name) at \(options.server): ")
            let session = try await options.client.login(username: name, password: password)
            let minutes = Int(session.accessExpiresAt.timeIntervalSinceNow / 60 + 0.5)
            options.terminal.output("logged in to \(options.server) as \(name) (access token refreshed automatically; lifetime \(minutes) min)")
        }
    }
}

struct ClientLogout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "End this login on the server and forget its tokens.")
    @OptionGroup var options: ClientOptions

    func run() async throws {
        try await options.run {
            try await options.client.logout()
            options.terminal.output("logged out of \(options.server)")
        }
    }
}

struct ClientWhoami: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "whoami", abstract: "The account this client is logged in as.")
    @OptionGroup var options: ClientOptions

    func run() async throws {
        try await options.run {
            let me = try await options.client.call { try await $0.me().ok.body.json }
            if options.json { return options.print(me) }
            options.terminal.output("\(me.username) (\(me.role.rawValue)) \(me.email) at \(options.server)")
        }
    }
}

struct ClientUsers: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "users", abstract: "Accounts (admin).", subcommands: [List.self, Create.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List accounts.")
        @OptionGroup var options: ClientOptions

        func run() async throws {
            try await options.run {
                let page = try await options.client.call { try await $0.listUsers(query: .init(limit: 200)).ok.body.json }
                if options.json { return options.print(page) }
                options.terminal.output(
                    Terminal.table(
                        ["username", "role", "email", "disabled"],
                        (page.users ?? []).map { [$0.username, $0.role.rawValue, $0.email, $0.disabled ? "yes" : "no"] }))
            }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "create", abstract: "Create an account (password asked without echo, or read from stdin).")
        @OptionGroup var options: ClientOptions
        @Option var username: String
        @Option var email: String
        @Option(help: "admin or user.") var role = "user"

        func run() async throws {
            try await options.run {
                let password = try PasswordPrompt.read("Password for the new account \(username): ")
                guard let role = Components.Schemas.CreateUserRequest.RolePayload(rawValue: role) else {
                    throw ClientError.usage("--role must be admin or user")
                }
                let request = Components.Schemas.CreateUserRequest(email: email, password: password, role: role, username: username)
                let created = try await options.client.call { try await $0.createUser(body: .json(request)).created.body.json }
                if options.json { return options.print(created) }
                options.terminal.output("created \(created.username) (\(created.role.rawValue))")
            }
        }
    }
}
