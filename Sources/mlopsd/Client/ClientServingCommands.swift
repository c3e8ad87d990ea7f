import ArgumentParser
import Foundation
import MLOpsAPI
import MLOpsClient

struct ClientModels: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "Registered models; pin versions to serve beside the champion (admin).",
        subcommands: [List.self, Pin.self, Unpin.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Registered models and their versions; the champion is marked.")
        @OptionGroup var options: ClientOptions

        func run() async throws {
            try await options.run {
                let answer = try await options.client.call { try await $0.listModels().ok.body.json }
                if options.json { return options.print(answer) }
                var rows: [[String]] = []
                for model in answer.models ?? [] {
                    for version in model.versions ?? [] {
                        let metrics = version.value1.metrics?.additionalProperties ?? [:]
                        rows.append([
                            version.value2.champion == true ? "*" : "", model.name ?? "", version.value1.version ?? "", model.modelType ?? "",
                            Terminal.number(metrics["f1"] ?? metrics["rmse"]), Terminal.timestamp(version.value1.createdAt),
                        ])
                    }
                }
                options.terminal.output(Terminal.table(["", "name", "version", "type", "f1/rmse", "created"], rows))
            }
        }
    }

    struct Pin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pin", abstract: "Serve a registered version beside the champion, addressed by model_name (and model_version).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Registered model name (mlopsd client models).") var name: String
        @Option(help: "Version (default: the newest).") var version: String?

        func run() async throws {
            try await options.run {
                let plan = try await options.client.call {
                    try await $0.pinModel(path: .init(name: name), body: .json(.init(version: version))).ok.body.json
                }
                if options.json { return options.print(plan) }
                options.terminal.output(ServingPlanTable.render(plan))
            }
        }
    }

    struct Unpin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "unpin", abstract: "Stop serving a pinned model (one version, or all of the name).")
        @OptionGroup var options: ClientOptions
        @Argument var name: String
        @Option(help: "Only this version.") var version: String?

        func run() async throws {
            try await options.run {
                let plan = try await options.client.call { try await $0.unpinModel(path: .init(name: name), query: .init(version: version)).ok.body.json }
                if options.json { return options.print(plan) }
                options.terminal.output(ServingPlanTable.render(plan))
            }
        }
    }
}

struct ClientCanary: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "canary", abstract: "Try a challenger on a share of the traffic, or in the shadow, and promote it (admin).",
        subcommands: [Show.self, SetChallenger.self, Clear.self, Promote.self], defaultSubcommand: Show.self)

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "The champion, pinned versions and the challenger.")
        @OptionGroup var options: ClientOptions

        func run() async throws {
            try await options.run {
                let plan = try await options.client.call { try await $0.getServingPlan().ok.body.json }
                if options.json { return options.print(plan) }
                options.terminal.output(ServingPlanTable.render(plan))
            }
        }
    }

    struct SetChallenger: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "set", abstract: "Set the challenger: --share of unaddressed requests (canary), or --shadow.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "Registered model name.") var name: String
        @Option(help: "Version (default: the newest).") var version: String?
        @Option(help: "Share of requests the challenger answers, 0 to 1.") var share: Double?
        @Flag(help: "Predict on a copy of the champion's traffic instead; only agreement is recorded.") var shadow = false

        func validate() throws {
            guard shadow != (share != nil) else { throw ValidationError("give exactly one of --share and --shadow") }
        }

        func run() async throws {
            try await options.run {
                let request = Components.Schemas.ChallengerRequest(challenger: name, version: version, share: share, mode: shadow ? .shadow : .canary)
                let plan = try await options.client.call { try await $0.setChallenger(body: .json(request)).ok.body.json }
                if options.json { return options.print(plan) }
                options.terminal.output(ServingPlanTable.render(plan))
            }
        }
    }

    struct Clear: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "clear", abstract: "End the canary or shadow.")
        @OptionGroup var options: ClientOptions

        func run() async throws {
            try await options.run {
                let plan = try await options.client.call { try await $0.clearChallenger().ok.body.json }
                if options.json { return options.print(plan) }
                options.terminal.output(ServingPlanTable.render(plan))
            }
        }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "promote", abstract: "Make the challenger the champion and end the canary.")
        @OptionGroup var options: ClientOptions

        func run() async throws {
            try await options.run {
                let promoted = try await options.client.call { try await $0.promoteChallenger().ok.body.json }
                if options.json { return options.print(promoted) }
                options.terminal.output(
                    "champion: \(promoted.champion?.modelName ?? "?") v\(promoted.champion?.version ?? "?") (\(promoted.champion?.modelType ?? "?")), "
                        + "was \(promoted.previous??.modelName ?? "none") v\(promoted.previous??.version ?? "-")")
            }
        }
    }
}

/// The serving plan as a table: one row per served model.
enum ServingPlanTable {
    static func render(_ plan: Components.Schemas.ServingPlan) -> String {
        var rows: [[String]] = []
        if let champion = plan.champion ?? nil {
            rows.append(["champion", champion.modelName ?? "", champion.version ?? "", champion.modelType ?? "", "", Terminal.timestamp(champion.promotedAt)])
        }
        for pinned in plan.pinned ?? [] {
            rows.append(["pinned", pinned.modelName ?? "", pinned.version ?? "", pinned.modelType ?? "", "", Terminal.timestamp(pinned.promotedAt)])
        }
        if let challenger = plan.challenger ?? nil, let model = challenger.model {
            let setting = challenger.mode == .shadow ? "shadow" : "canary \(Terminal.number((challenger.share ?? 0) * 100))%"
            rows.append(["challenger", model.modelName ?? "", model.version ?? "", model.modelType ?? "", setting, Terminal.timestamp(model.promotedAt)])
        }
        return Terminal.table(["arm", "name", "version", "type", "traffic", "since"], rows)
    }
}
