import ArgumentParser
import Foundation
import Kernel
import MLCore
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
                let reply = try await options.client.send(
                    .POST, "/api/v1/data/datasets?name=\(label.urlComponentEncoded)", body: .file(url, contentType: "text/csv"))
                let dataset = try reply.json
                if options.json { return options.print(dataset) }
                let again = reply.status == 200 ? " (already uploaded)" : ""
                options.terminal.output(
                    "dataset \(dataset["id"]?.stringValue ?? "?") '\(dataset["name"]?.stringValue ?? label)': "
                        + "\(dataset["rows"]?.intValue ?? 0) rows × \(dataset["columns"]?.intValue ?? 0) columns, md5 \(dataset["md5"]?.stringValue ?? "?")\(again)"
                )
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Uploaded datasets, newest first.")
        @OptionGroup var options: ClientOptions

        func run() async throws {
            try await options.run {
                let page = try await options.client.send(.GET, "/api/v1/data/datasets?limit=200").json
                if options.json { return options.print(page) }
                guard case .array(let datasets)? = page["datasets"] else { return }
                options.terminal.output(
                    Terminal.table(
                        ["id", "name", "rows", "columns", "bytes", "uploaded"],
                        datasets.map { dataset in
                            [
                                dataset["id"]?.stringValue ?? "", dataset["name"]?.stringValue ?? "", Terminal.number(dataset["rows"].flatMap(\.doubleValue)),
                                Terminal.number(dataset["columns"].flatMap(\.doubleValue)), Terminal.number(dataset["size"].flatMap(\.doubleValue)),
                                dataset["created_at"]?.stringValue ?? "",
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
                let dataset = try await options.client.send(.GET, "/api/v1/data/datasets/\(id.urlComponentEncoded)").json
                if options.json { return options.print(dataset) }
                let title = "\(dataset["id"]?.stringValue ?? id) '\(dataset["name"]?.stringValue ?? "")'"
                if let profile = dataset["profile"], let decoded = try? profile.decode(TableProfile.self) {
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
            var body: [String: JSONValue] = ["dataset_id": .string(dataset), "target": .string(target)]
            if let drop { body["drop"] = .array(drop.split(separator: ",").map { .string(String($0)) }) }
            if let testSize { body["test_size"] = .number(testSize) }
            if let seed { body["seed"] = .number(Double(seed)) }
            let accepted = try await options.client.send(.POST, "/api/v1/data/preprocess", body: .json(.object(body)))
            guard let job = try await waiting.follow(accepted, role: "data", options: options) else { return }
            if options.json { return options.print(job) }
            let result = job["result"] ?? .null
            options.terminal.output(
                "processed version \(result["version"]?.stringValue ?? "?"): \(result["train_rows"]?.intValue ?? 0) train rows, "
                    + "\(result["test_rows"]?.intValue ?? 0) test rows\(result["reused"] == .bool(true) ? " (reused)" : "")")
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
            let accepted = try await options.client.send(.POST, "/api/v1/data/build-features", body: .json(["processed_version": .string(version)]))
            guard let job = try await waiting.follow(accepted, role: "data", options: options) else { return }
            if options.json { return options.print(job) }
            let result = job["result"] ?? .null
            options.terminal.output(
                "features version \(result["version"]?.stringValue ?? "?"): \(result["feature_count"]?.intValue ?? 0) features"
                    + "\(result["reused"] == .bool(true) ? " (reused)" : "")")
        }
    }
}
