import ArgumentParser
import Foundation
import MLCore
import MLOpsAPI
import MLOpsClient

struct ClientDatasets: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets", abstract: "Upload and inspect datasets (admin).", subcommands: [Upload.self, List.self, Show.self]
    )

    struct Upload: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "upload", abstract: "Upload a CSV file (streamed; the same bytes again return the first upload).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The CSV file.") var file: String
        @Option(help: "A label for the dataset (default: the file name).") var name: String?

        func run() async throws {
            try await options.run {
                let url = URL(fileURLWithPath: file)
                guard FileManager.default.isReadableFile(atPath: url.path) else { throw ClientError.usage("cannot read \(file)") }
                let label = name ?? url.deletingPathExtension().lastPathComponent
                let body = try FileBody.body(of: url)
                let (dataset, again) = try await options.client.call { api in
                    switch try await api.uploadDataset(query: .init(name: label), body: .csv(body)) {
                    case .ok(let ok): (try ok.body.json, true)
                    case .created(let created): (try created.body.json, false)
                    case let other: throw ClientError.network("unexpected answer to an upload: \(other)")
                    }
                }
                if options.json { return options.print(dataset) }
                let summary = dataset.value1
                options.terminal.output(
                    "dataset \(summary.id) '\(summary.name)': \(summary.rows) rows × \(summary.columns) columns, md5 \(summary.md5)"
                        + (again ? " (already uploaded)" : ""))
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Uploaded datasets, newest first.")
        @OptionGroup var options: ClientOptions

        func run() async throws {
            try await options.run {
                let page = try await options.client.call { try await $0.listDatasets(query: .init(limit: 200)).ok.body.json }
                if options.json { return options.print(page) }
                options.terminal.output(
                    Terminal.table(
                        ["id", "name", "rows", "columns", "bytes", "uploaded"],
                        page.datasets.map { dataset in
                            [
                                dataset.id, dataset.name, Terminal.number(Double(dataset.rows)), Terminal.number(Double(dataset.columns)),
                                Terminal.number(Double(dataset.size)), Terminal.timestamp(dataset.createdAt),
                            ]
                        }))
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "One dataset: its columns, kinds and profile.")
        @OptionGroup var options: ClientOptions
        @Argument var id: String

        func run() async throws {
            try await options.run {
                let dataset = try await options.client.call { try await $0.getDataset(path: .init(id: id)).ok.body.json }
                if options.json { return options.print(dataset) }
                let title = "\(dataset.value1.id) '\(dataset.value1.name)'"
                if let decoded = try? dataset.value2.profile.recoded(as: TableProfile.self) {
                    options.terminal.output(String(ProfileReport.render(decoded, title: title).dropLast()))
                } else {
                    options.print(dataset)
                }
            }
        }
    }
}

struct ClientPreprocess: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "preprocess", abstract: "Clean and split a dataset into a processed version (a job).")
    @OptionGroup var options: ClientOptions
    @OptionGroup var waiting: WaitOptions
    @Option(help: "Dataset id (mlopsd client datasets list).") var dataset: String
    @Option(help: "Column to predict.") var target: String
    @Option(help: "Columns to drop, comma-separated (ids, leaks).") var drop: String?
    @Option(help: "Fraction held out for testing (default 0.3).") var testSize: Double?
    @Option(help: "Seed of the split (default 42).") var seed: Int?

    func run() async throws {
        try await options.run {
            let request = Components.Schemas.PreprocessRequest(
                datasetId: dataset, drop: drop.map { $0.split(separator: ",").map(String.init) }, seed: seed, target: target, testSize: testSize)
            let accepted = try await options.client.call { try await $0.preprocess(body: .json(request)).accepted }
            guard let job = try await waiting.follow(try accepted.body.json, retryAfter: accepted.headers.retryAfter, role: .data, options: options)
            else { return }
            if options.json { return options.print(job) }
            let result = try job.result(as: Components.Schemas.PreprocessResult.self)
            options.terminal.output(
                "processed version \(result.version): \(result.trainRows ?? 0) train rows, \(result.testRows ?? 0) test rows\(result.reused ? " (reused)" : "")"
            )
        }
    }
}

struct ClientFeatures: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "features", abstract: "Fit the feature pipeline on a processed version (a job).")
    @OptionGroup var options: ClientOptions
    @OptionGroup var waiting: WaitOptions
    @Option(help: "Processed version (pp-…).") var version: String

    func run() async throws {
        try await options.run {
            let accepted = try await options.client.call { try await $0.buildFeatures(body: .json(.init(processedVersion: version))).accepted }
            guard let job = try await waiting.follow(try accepted.body.json, retryAfter: accepted.headers.retryAfter, role: .data, options: options)
            else { return }
            if options.json { return options.print(job) }
            let result = try job.result(as: Components.Schemas.FeaturesResult.self)
            options.terminal.output("features version \(result.version): \(result.featureCount ?? 0) features\(result.reused ? " (reused)" : "")")
        }
    }
}
