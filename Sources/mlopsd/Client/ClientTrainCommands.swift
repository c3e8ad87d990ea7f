import ArgumentParser
import Foundation
import MLCore
import MLOpsAPI
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
            var modelTypes: [Components.Schemas.TrainRequest.ModelTypesPayloadPayload] = []
            for name in models.split(separator: ",") {
                guard let type = Components.Schemas.TrainRequest.ModelTypesPayloadPayload(rawValue: String(name)) else {
                    throw ClientError.usage("--models: '\(name)' is not a model type")
                }
                modelTypes.append(type)
            }
            var hyperparameters: Components.Schemas.TrainRequest.HyperparametersPayload?
            if let params {
                guard let data = FileManager.default.contents(atPath: params) else { throw ClientError.usage("cannot read \(params)") }
                do {
                    hyperparameters = try JSONDecoder().decode(Components.Schemas.TrainRequest.HyperparametersPayload.self, from: data)
                } catch {
                    throw ClientError.usage("\(params) is not a JSON object of objects per model type: \(error)")
                }
            }
            let request = Components.Schemas.TrainRequest(
                cvFolds: cvFolds, experimentName: experiment, featuresVersion: features, hyperparameters: hyperparameters, metric: metric,
                modelTypes: modelTypes, processedVersion: processed)
            let accepted = try await options.client.call { try await $0.train(body: .json(request)).accepted }
            guard let job = try await waiting.follow(try accepted.body.json, retryAfter: accepted.headers.retryAfter, role: .train, options: options)
            else { return }
            if options.json { return options.print(job) }
            options.terminal.output(TrainingResultTable.render(try job.result(as: Components.Schemas.TrainingResult.self)))
        }
    }
}

/// A training result as a table: one row per model, the ranking metric first.
enum TrainingResultTable {
    /// A search's report as the leaderboard shows it.
    static func summary(_ tuning: TuningReport) -> Components.Schemas.TuningSummary {
        .init(
            method: .init(rawValue: tuning.method.rawValue) ?? .random, metric: tuning.metric.rawValue, trials: tuning.trials.count,
            bestTrial: tuning.best.number, bestScore: tuning.best.score.isFinite ? tuning.best.score : nil, seconds: tuning.seconds,
            stoppedByBudget: tuning.stoppedByBudget)
    }

    static func render(_ result: Components.Schemas.TrainingResult) -> String {
        let usual = LeaderboardTable.columns(for: TaskKind(rawValue: result.task.rawValue) ?? .classification)
        let reported = Set(result.leaderboard.flatMap { $0.metrics.additionalProperties.keys })
        let names = [result.metric] + usual.filter { $0 != result.metric && reported.contains($0) }
        let thresholds = result.leaderboard.contains { $0.decisionThreshold != nil }
        let rows = result.leaderboard.enumerated().map { rank, entry in
            [String(rank + 1), entry.modelType] + names.map { Terminal.number(entry.metrics.additionalProperties[$0]) }
                + (thresholds ? [Terminal.number(entry.decisionThreshold)] : [])
                + [Terminal.number(entry.fitSeconds), entry.version.map { "\(entry.modelName) v\($0)" } ?? ""]
        }
        return "experiment \(result.experimentName), ranked by \(result.metric) (tracker: \(result.tracker))\n"
            + Terminal.table(["#", "model"] + names + (thresholds ? ["threshold"] : []) + ["fit s", "registered"], rows)
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
            var gates: [String: Double]?
            if let min {
                gates = [:]
                for gate in min.split(separator: ",") {
                    let parts = gate.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2, let value = Double(parts[1]) else { throw ClientError.usage("--min: '\(gate)' is not metric=number") }
                    gates?[String(parts[0])] = value
                }
            }
            let request = Components.Schemas.PromotionRequest(
                experimentName: experiment, metric: metric, minMetrics: gates.map { .init(additionalProperties: $0) }, modelType: modelType)
            let promoted = try await options.client.call { try await $0.fetchBestModel(body: .json(request)).ok.body.json }
            if options.json { return options.print(promoted) }
            let champion = promoted.champion
            let metricName = champion?.metric ?? ""
            options.terminal.output(
                "champion: \(champion?.modelName ?? "?") v\(champion?.version ?? "?") (\(champion?.modelType ?? "?")), "
                    + "\(metricName) \(Terminal.number(champion?.metrics?.additionalProperties[metricName]))")
        }
    }
}

struct ClientJobs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "jobs", abstract: "Jobs of the data and train roles (admin).", subcommands: [List.self, Show.self, Cancel.self])

    struct RoleOption: ParsableArguments {
        @Option(help: "data or train (default: both for list; found by id otherwise).") var role: String?

        var roles: [JobRole] {
            get throws {
                guard let role else { return JobRole.allCases }
                guard let known = JobRole(rawValue: role) else { throw ClientError.usage("--role must be data or train") }
                return [known]
            }
        }

        /// The role that knows the job: an id is unique to the role that created it.
        func owner(of jobID: String, client: APIClient) async throws -> (role: JobRole, job: JobRecord) {
            for role in try roles {
                do {
                    return (role, try await client.job(jobID, role: role))
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
                var pages: [String: Components.Schemas.JobPage] = [:]
                let client = try options.client
                for role in try role.roles {
                    let page = try await client.jobs(role: role, limit: 50)
                    pages[role.rawValue] = page
                    rows += page.jobs.map { job in
                        [
                            Terminal.timestamp(job.createdAt), job.jobId, job.jobType, job.status.rawValue, "\(job.progress)%",
                            Terminal.plain(job.message ?? ""),
                        ]
                    }
                }
                if options.json { return options.print(pages) }
                options.terminal.output(Terminal.table(["created", "id", "type", "status", "progress", "message"], rows.sorted { $0[0] > $1[0] }))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "One job; with --wait, follow it to the end.")

        @OptionGroup var options: ClientOptions
        @OptionGroup var role: RoleOption
        @OptionGroup var waiting: WaitOptions
        @Argument var id: String

        func run() async throws {
            try await options.run {
                let client = try options.client
                var (owner, job) = try await role.owner(of: id, client: client)
                if waiting.wait, !job.status.isFinished {
                    job = try await JobWaiter(client: client, terminal: options.terminal)
                        .wait(role: owner, jobID: id, cancelOnInterrupt: waiting.cancelOnInterrupt)
                }
                if options.json { return options.print(job) }
                options.terminal.output("\(job.jobType) \(id): \(job.status.rawValue) \(job.progress)% " + Terminal.plain(job.message ?? ""))
                if let error = job.error { options.terminal.output("error: \(Terminal.plain(error))") }
                if owner == .train, job.status == .completed {
                    options.terminal.output(TrainingResultTable.render(try job.result(as: Components.Schemas.TrainingResult.self)))
                } else if let result = job.result {
                    options.terminal.output("result: \(Terminal.plain(String(decoding: try JSONEncoder().encode(result), as: UTF8.self)))")
                }
                if job.status.isFinished, job.status != .completed {
                    throw ClientError.jobFailed("job \(id) \(job.status.rawValue)")
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
                let client = try options.client
                let (owner, _) = try await role.owner(of: id, client: client)
                let job = try await client.cancelJob(id, role: owner)
                if options.json { return options.print(job) }
                options.terminal.output("job \(id): \(job.status.rawValue)")
            }
        }
    }
}
