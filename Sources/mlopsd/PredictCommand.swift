import ArgumentParser
import Foundation
import MLCore

/// Predictions from a bundle for records in a CSV or JSON file, one JSON object per record.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict with a model bundle for the records of a CSV file or a JSON array of objects."
    )

    @Option(help: "Model bundle written by `mlopsd pipeline` or the train role.")
    var bundle: String

    @Option(help: "Records: .csv (header row) or .json (array of objects).")
    var input: String

    func run() throws {
        let model: ModelBundle
        do { model = try ModelBundle.load(from: Data(contentsOf: URL(fileURLWithPath: bundle))) } catch {
            throw ValidationError("\(bundle): \(error)")
        }
        let records = try readRecords()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for (index, result) in model.predict(records: records).enumerated() {
            let line: PredictionLine
            switch result {
            case .success(let prediction):
                line = PredictionLine(
                    index: index,
                    prediction: prediction.label.map(PredictionLine.Value.label) ?? .number(prediction.value),
                    probability: prediction.probability,
                    probabilities: prediction.probabilities,
                    unknownFields: prediction.unknownFields.isEmpty ? nil : prediction.unknownFields,
                    errors: nil
                )
            case .failure(let issues):
                line = PredictionLine(
                    index: index, prediction: nil, probability: nil, probabilities: nil, unknownFields: nil,
                    errors: issues.issues.map { ["field": $0.field, "problem": $0.problem] })
            }
            print(String(decoding: try encoder.encode(line), as: UTF8.self))
        }
    }

    private func readRecords() throws -> [[String: RawValue]] {
        if input.lowercased().hasSuffix(".json") {
            do {
                let records = try JSONDecoder().decode([[String: JSONField]].self, from: Data(contentsOf: URL(fileURLWithPath: input)))
                return records.map { $0.mapValues(\.value) }
            } catch {
                throw ValidationError("\(input): expected a JSON array of objects with scalar values (\(error))")
            }
        }
        let table: Table
        do { table = try CSVReader.read(path: input) } catch { throw ValidationError("\(input): \(error)") }
        return (0..<table.rowCount).map { row in
            Dictionary(uniqueKeysWithValues: table.columns.map { column in (column.name, RawValue(column: column, row: row)) })
        }
    }
}

struct PredictionLine: Encodable {
    enum Value: Encodable {
        case label(String)
        case number(Double)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .label(let text): try container.encode(text)
            case .number(let value): try container.encode(value)
            }
        }
    }

    var index: Int
    var prediction: Value?
    var probability: Double?
    var probabilities: [String: Double]?
    var unknownFields: [String]?
    var errors: [[String: String]]?

    enum CodingKeys: String, CodingKey {
        case index, prediction, probability, probabilities
        case unknownFields = "unknown_fields"
        case errors
    }
}

/// A scalar JSON value of an input record.
struct JSONField: Decodable {
    let value: RawValue

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            value = .null
        } else if let flag = try? container.decode(Bool.self) {
            value = .bool(flag)
        } else if let number = try? container.decode(Double.self) {
            value = .number(number)
        } else {
            value = .string(try container.decode(String.self))
        }
    }
}
