import ArgumentParser
import Foundation
import Kernel
import MLCore
import MLOpsClient

struct ClientTrain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train and compare model types on a version (a job); prints the leaderboard.")
    @OptionGroup var options: ClientOptions
    @OptionGroup var waiting: WaitOptions
    @Option(help: "Features version (fs-…).") var features: String?
    @Option(help: "Processed version (pp-…), instead of --features.") var processed: String?
    @Option(help: "Model types, comma-separated (logistic_regression, linear_regression, decision_tree, random_forest, gradient_boosting).")
    var models: String
    @Option(help: "Metric to rank by (default: f1, or rmse for regression).") var metric: String?
    @Option(help: "JSON file of hyperparameters per model type: {\"random_forest\": {\"n_estimators\": 200}}.") var params: String?
    @Option(help: "Cross-validation folds.") var cvFolds: Int?
    @Option(help: "Experiment name.") var experiment: String?

    func validate() throws {
        guard (features == nil) != (processed == nil) else { throw ValidationError("give exactly one of --features and --processed") }
    }

    func run() async throws {
        try await options.run {
            var body: [String: JSONValue] = ["model_types": .array(models.split(separator: ",").map { .string(String($0)) })]
            if let features { body["features_version"] = .string(features) }
            if let processed { body["processed_version"] = .string(processed) }
            if let metric { body["metric"] = .string(metric) }
            if let cvFolds { body["cv_folds"] = .number(Double(cvFolds)) }
            if let experiment { body["experiment_name"] = .string(experiment) }
            if let params {
                guard let data = FileManager.default.contents(atPath: params) else { throw ClientError.usage("cannot read \(params)") }
                do {
                    body["hyperparameters"] = try JSONParser.parse(String(decoding: data, as: UTF8.self))
                } catch {
                    throw ClientError.usage("\(params) is not JSON: \(error)")
                }
            }
            let accepted = try await options.client.send(.POST, "/api/v1/train", body: .json(.object(body)))
            guard let job = try await waiting.follow(accepted, role: "train", options: options) else { return }
            if options.json { return options.print(job) }
            options.terminal.output(TrainingResultTable.render(job["result"] ?? .null))
        }
    }
}

/// A training result as a table: one row per model, the ranking metric first.
enum TrainingResultTable {
    static func render(_ result: JSONValue) -> String {
        guard case .array(let entries)? = result["leaderboard"] else { return "no leaderboard" }
        let metric = result["metric"]?.stringValue ?? ""
        let usual = LeaderboardTable.columns(for: result["task"]?.stringValue.flatMap(TaskKind.init(rawValue:)) ?? .classification)
        let reported = Set(
            entries.flatMap { entry -> [String] in
                guard case .object(let metrics)? = entry["metrics"] else { return [] }
                return Array(metrics.keys)
            })
        let names = [metric] + usual.filter { $0 != metric && reported.contains($0) }
        let rows = entries.enumerated().map { rank, entry in
            [String(rank + 1), entry["model_type"]?.stringValue ?? ""]
                + names.map { Terminal.number(entry["metrics"]?[$0]?.doubleValue) }
                + [
                    Terminal.number(entry["fit_seconds"]?.doubleValue),
                    entry["model_name"].flatMap(\.stringValue).map { "\($0) v\(entry["version"]?.stringValue ?? "?")" } ?? "",
                ]
        }
        return "experiment \(result["experiment_name"]?.stringValue ?? "?"), ranked by \(metric) (tracker: \(result["tracker"]?.stringValue ?? "?"))\n"
            + Terminal.table(["#", "model"] + names + ["fit s", "registered"], rows)
    }
}

struct ClientPromote: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "promote", abstract: "Make the best finished run the champion the predict role serves.")
    @OptionGroup var options: ClientOptions
    @Option(help: "Metric to pick by (default f1, or rmse for regression).") var metric: String?
    @Option(help: "Only this model type.") var modelType: String?
    @Option(help: "Only this experiment.") var experiment: String?
    @Option(help: "Gates, comma-separated: f1=0.65,roc_auc=0.8 (minimums; maximums for rmse, mae, mape, log_loss).") var min: String?

    func run() async throws {
        try await options.run {
            var body: [String: JSONValue] = [:]
            if let metric { body["metric"] = .string(metric) }
            if let modelType { body["model_type"] = .string(modelType) }
            if let experiment { body["experiment_name"] = .string(experiment) }
            if let min {
                var gates: [String: JSONValue] = [:]
                for gate in min.split(separator: ",") {
                    let parts = gate.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2, let value = Double(parts[1]) else { throw ClientError.usage("--min: '\(gate)' is not metric=number") }
                    gates[String(parts[0])] = .number(value)
                }
                body["min_metrics"] = .object(gates)
            }
            let promoted = try await options.client.send(.POST, "/api/v1/train/fetch-best-model", body: .json(.object(body))).json
            if options.json { return options.print(promoted) }
            let champion = promoted["champion"] ?? .null
            let metricName = champion["metric"]?.stringValue ?? ""
            options.terminal.output(
                "champion: \(champion["model_name"]?.stringValue ?? "?") v\(champion["version"]?.stringValue ?? "?") "
                    + "(\(champion["model_type"]?.stringValue ?? "?")), \(metricName) \(Terminal.number(champion["metrics"]?[metricName]?.doubleValue))")
        }
    }
}

struct ClientModels: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "models", abstract: "Registered models and their versions; the champion is marked.")
    @OptionGroup var options: ClientOptions

    func run() async throws {
        try await options.run {
            let answer = try await options.client.send(.GET, "/api/v1/train/models").json
            if options.json { return options.print(answer) }
            guard case .array(let models)? = answer["models"] else { return }
            var rows: [[String]] = []
            for model in models {
                guard case .array(let versions)? = model["versions"] else { continue }
                for version in versions {
                    let metrics = version["metrics"] ?? .null
                    rows.append([
                        version["champion"] == .bool(true) ? "*" : "", model["name"]?.stringValue ?? "", version["version"]?.stringValue ?? "",
                        model["model_type"]?.stringValue ?? "", Terminal.number(metrics["f1"]?.doubleValue ?? metrics["rmse"]?.doubleValue),
                        version["created_at"]?.stringValue ?? "",
                    ])
                }
            }
            options.terminal.output(Terminal.table(["", "name", "version", "type", "f1/rmse", "created"], rows))
        }
    }
}

struct ClientJobs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "Jobs of the data and train roles (admin).", subcommands: [List.self, Show.self, Cancel.self])

    struct RoleOption: ParsableArguments {
        @Option(help: "data or train (default: both for list; found by id otherwise).") var role: String?

        var roles: [String] {
            get throws {
                guard let role else { return ["data", "train"] }
                guard ["data", "train"].contains(role) else { throw ClientError.usage("--role must be data or train") }
                return [role]
            }
        }

        /// The role that knows the job: an id is unique to the role that created it.
        func owner(of jobID: String, client: APIClient) async throws -> (role: String, job: JSONValue) {
            for role in try roles {
                do {
                    return (role, try await client.send(.GET, "/api/v1/\(role)/status/\(jobID)").json)
                } catch ClientError.api(let status, _, _, _) where status == 404 {
                    continue
                }
            }
            throw ClientError.api(status: 404, code: "not_found", message: "no job \(jobID)", details: [])
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Recent jobs, newest first.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var role: RoleOption

        func run() async throws {
            try await options.run {
                var rows: [[String]] = []
                var pages: [String: JSONValue] = [:]
                for role in try role.roles {
                    let page = try await options.client.send(.GET, "/api/v1/\(role)/jobs?limit=50").json
                    pages[role] = page
                    guard case .array(let jobs)? = page["jobs"] else { continue }
                    rows += jobs.map { job in
                        [
                            job["created_at"]?.stringValue ?? "", job["job_id"]?.stringValue ?? "", job["job_type"]?.stringValue ?? "",
                            job["status"]?.stringValue ?? "", "\(job["progress"]?.intValue ?? 0)%", Terminal.plain(job["message"]?.stringValue ?? ""),
                        ]
                    }
                }
                if options.json { return options.print(.object(pages)) }
                options.terminal.output(Terminal.table(["created", "id", "type", "status", "progress", "message"], rows.sorted { $0[0] > $1[0] }))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "One job; with --wait, follow it to the end.")

        static func status(of job: JSONValue) -> JobStatus? {
            job["status"]?.stringValue.flatMap(JobStatus.init(rawValue:))
        }

        @OptionGroup var options: ClientOptions
        @OptionGroup var role: RoleOption
        @OptionGroup var waiting: WaitOptions
        @Argument var id: String

        func run() async throws {
            try await options.run {
                var (owner, job) = try await role.owner(of: id, client: options.client)
                if waiting.wait, Self.status(of: job)?.isFinished != true {
                    job = try await JobWaiter(client: options.client, terminal: options.terminal)
                        .wait(role: owner, jobID: id, cancelOnInterrupt: waiting.cancelOnInterrupt)
                }
                if options.json { return options.print(job) }
                let status = Self.status(of: job)
                options.terminal.output(
                    "\(job["job_type"]?.stringValue ?? owner) \(id): \(job["status"]?.stringValue ?? "?") \(job["progress"]?.intValue ?? 0)% "
                        + Terminal.plain(job["message"]?.stringValue ?? ""))
                if let error = job["error"]?.stringValue { options.terminal.output("error: \(Terminal.plain(error))") }
                if job["job_type"]?.stringValue == "train", status == .completed {
                    options.terminal.output(TrainingResultTable.render(job["result"] ?? .null))
                } else if let result = job["result"], result != .null {
                    options.terminal.output("result: \(result.jsonString())")
                }
                if let status, status.isFinished, status != .completed {
                    throw ClientError.jobFailed("job \(id) \(status.rawValue)")
                }
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Ask a pending or running job to stop (cooperative).")
        @OptionGroup var options: ClientOptions
        @OptionGroup var role: RoleOption
        @Argument var id: String

        func run() async throws {
            try await options.run {
                let (owner, _) = try await role.owner(of: id, client: options.client)
                let job = try await options.client.send(.POST, "/api/v1/\(owner)/jobs/\(id)/cancel").json
                if options.json { return options.print(job) }
                options.terminal.output("job \(id): \(job["status"]?.stringValue ?? "?")")
            }
        }
    }
}
