import ArgumentParser
import Foundation
import Kernel
import MLOpsClient
import NIOCore

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

    func run() async throws {
        try await options.run {
            let url = URL(fileURLWithPath: input)
            guard let data = FileManager.default.contents(atPath: url.path) else { throw ClientError.usage("cannot read \(input)") }
            let query = model.map { "?model_name=" + $0.urlComponentEncoded } ?? ""
            let answer: JSONValue
            if url.pathExtension.lowercased() == "csv" {
                answer = try await options.client.send(.POST, "/api/v1/predict/batch\(query)", body: .bytes(ByteBuffer(bytes: data), contentType: "text/csv"))
                    .json
            } else {
                let document: JSONValue
                do {
                    document = try JSONParser.parse(String(decoding: data, as: UTF8.self))
                } catch {
                    throw ClientError.usage("\(input) is not JSON: \(error)")
                }
                var modelField: [String: JSONValue] = [:]
                if let model { modelField["model_name"] = .string(model) }
                switch document {
                case .array:
                    answer = try await options.client.send(
                        .POST, "/api/v1/predict/batch", body: .json(JSONValue.object(["features_list": document]).merging(modelField))
                    ).json
                case .object(let members):
                    let features = members["features"] ?? document
                    answer = try await options.client.send(.POST, "/api/v1/predict", body: .json(JSONValue.object(["features": features]).merging(modelField)))
                        .json
                default:
                    throw ClientError.usage("\(input): expected a JSON object of features or an array of them")
                }
            }
            if options.json { return options.print(answer) }
            options.terminal.output(Self.render(answer))
            if case .array(let errors)? = answer["errors"], !errors.isEmpty {
                throw ClientError.jobFailed("\(errors.count) record(s) refused; see the errors above")
            }
        }
    }

    static func render(_ answer: JSONValue) -> String {
        func row(_ index: String, _ prediction: JSONValue) -> [String] {
            let value: String
            switch prediction["prediction"] {
            case .string(let label)?: value = label
            case .number(let number)?: value = Terminal.number(number)
            default: value = "–"
            }
            return [index, value, Terminal.number(prediction["probability"]?.doubleValue)]
        }
        let footer = "model \(answer["model_name"]?.stringValue ?? "?") v\(answer["model_version"]?.stringValue ?? "?")"
        guard case .array(let predictions)? = answer["predictions"] else {
            return Terminal.table(["#", "prediction", "probability"], [row("1", answer)]) + "\n" + footer
        }
        var rows = predictions.enumerated().map { index, prediction in row(String(index + 1), prediction) }
        if case .array(let errors)? = answer["errors"] {
            for error in errors {
                guard let index = error["index"]?.intValue, rows.indices.contains(index), case .array(let details)? = error["details"] else { continue }
                rows[index][1] = "refused: " + details.map { "\($0["field"]?.stringValue ?? "?") \($0["problem"]?.stringValue ?? "")" }.joined(separator: "; ")
            }
        }
        return Terminal.table(["#", "prediction", "probability"], rows) + "\n\(answer["count"]?.intValue ?? 0) predicted; " + footer
    }
}
