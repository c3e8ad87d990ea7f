import ArgumentParser
import Foundation
import MLOpsAPI
import MLOpsClient

struct ClientPredict: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predictions from the champion (any signed-in user).",
        discussion: """
            --input takes a CSV file (header row; one prediction per row), a JSON object of features \
            (one prediction), or a JSON array of such objects (a batch).
            """
    )
    @OptionGroup var options: ClientOptions
    @Option(help: "A .csv or .json file of records.") var input: String
    @Option(help: "A loaded model other than the champion.") var model: String?

    typealias Record = [String: Components.Schemas.FeatureValue?]

    /// The input file's records: one object (optionally under "features"), or an array of them.
    enum Input: Decodable {
        case one(Record)
        case many([Record])

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let many = try? container.decode([Record].self) {
                self = .many(many)
            } else {
                let record = try container.decode(Record.self)
                if case .some(.some(let wrapped)) = record["features"], let features = try? wrapped.recoded(as: Record.self) {
                    self = .one(features)
                } else {
                    self = .one(record)
                }
            }
        }
    }

    func run() async throws {
        try await options.run {
            let url = URL(fileURLWithPath: input)
            guard FileManager.default.isReadableFile(atPath: url.path) else { throw ClientError.usage("cannot read \(input)") }
            let client = try options.client
            let rendered: String
            var refused = 0
            if url.pathExtension.lowercased() == "csv" {
                let body = try FileBody.body(of: url)
                let answer = try await client.call { try await $0.predictBatch(query: .init(modelName: model), body: .csv(body)).ok.body.json }
                if options.json { return options.print(answer) }
                rendered = Self.render(answer)
                refused = answer.errors?.count ?? 0
            } else {
                let parsed: Input
                do {
                    parsed = try JSONDecoder().decode(Input.self, from: try Data(contentsOf: url))
                } catch {
                    throw ClientError.usage("\(input): expected a JSON object of features or an array of them (\(error))")
                }
                switch parsed {
                case .many(let records):
                    let request = Components.Schemas.BatchRequest(featuresList: records.map { .init(additionalProperties: $0) }, modelName: model)
                    let answer = try await client.call { try await $0.predictBatch(query: .init(), body: .json(request)).ok.body.json }
                    if options.json { return options.print(answer) }
                    rendered = Self.render(answer)
                    refused = answer.errors?.count ?? 0
                case .one(let record):
                    let request = Components.Schemas.PredictRequest(features: .init(additionalProperties: record), modelName: model)
                    let answer = try await client.call { try await $0.predict(body: .json(request)).ok.body.json }
                    if options.json { return options.print(answer) }
                    rendered =
                        Terminal.table(["#", "prediction", "probability"], [Self.row("1", answer.value1)])
                        + "\nmodel \(answer.value2.modelName ?? "?") v\(answer.value2.modelVersion ?? "?")"
                }
            }
            options.terminal.output(rendered)
            if refused > 0 { throw ClientError.jobFailed("\(refused) record(s) refused; see the errors above") }
        }
    }

    static func row(_ index: String, _ prediction: Components.Schemas.Prediction?) -> [String] {
        let value: String
        switch prediction?.prediction {
        case .case1(let label)?: value = label
        case .case2(let number)?: value = Terminal.number(number)
        case nil: value = "–"
        }
        return [index, value, Terminal.number(prediction?.probability)]
    }

    static func render(_ answer: Components.Schemas.BatchResponse) -> String {
        var rows = (answer.predictions ?? []).enumerated().map { index, prediction in row(String(index + 1), prediction) }
        for error in answer.errors ?? [] {
            guard let index = error.index, rows.indices.contains(index) else { continue }
            rows[index][1] = "refused: " + (error.details ?? []).map { "\($0.field ?? "?") \($0.problem ?? "")" }.joined(separator: "; ")
        }
        return Terminal.table(["#", "prediction", "probability"], rows)
            + "\n\(answer.count ?? 0) predicted; model \(answer.modelName ?? "?") v\(answer.modelVersion ?? "?")"
    }
}
