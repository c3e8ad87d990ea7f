import Foundation
import Hummingbird
import Kernel
import MLCore

/// `POST /api/v1/predict`: one record.
struct PredictRequest: Decodable, Sendable {
    var features: [String: JSONValue]
    var modelName: String?

    enum CodingKeys: String, CodingKey {
        case features
        case modelName = "model_name"
    }
}

/// `POST /api/v1/predict/batch` as JSON.
struct BatchRequest: Decodable, Sendable {
    var featuresList: [[String: JSONValue]]
    var modelName: String?

    enum CodingKeys: String, CodingKey {
        case featuresList = "features_list"
        case modelName = "model_name"
    }
}

/// What a client sent for one field, as the feature pipeline takes it.
enum RecordDecoding {
    /// Scalars become raw values; arrays and objects are named as problems.
    static func record(_ features: [String: JSONValue]) -> Result<[String: RawValue], RecordIssues> {
        var record: [String: RawValue] = [:]
        record.reserveCapacity(features.count)
        var issues: [FieldIssue] = []
        for (name, value) in features {
            switch value {
            case .null: record[name] = .null
            case .bool(let flag): record[name] = .bool(flag)
            case .number(let number): record[name] = .number(number)
            case .string(let text): record[name] = .string(text)
            case .array, .object: issues.append(FieldIssue(field: name, problem: "expected a number, string, boolean or null"))
            }
        }
        return issues.isEmpty ? .success(record) : .failure(RecordIssues(issues: issues))
    }

    /// The records of a CSV batch (header row), typed as any CSV upload is.
    static func records(csv bytes: ByteBuffer) throws -> [[String: RawValue]] {
        let table: Table
        do {
            table = try CSVReader.read(bytes: bytes.readableBytesView)
        } catch {
            throw APIError.validation(field: "body", problem: "\(error)")
        }
        return (0..<table.rowCount).map { row in
            Dictionary(uniqueKeysWithValues: table.columns.map { ($0.name, RawValue(column: $0, row: row)) })
        }
    }
}

/// One prediction as the API returns it.
struct PredictionBody: Encodable, Sendable {
    enum Value: Encodable, Sendable {
        case label(String)
        case number(Double)

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .label(let label): try container.encode(label)
            case .number(let value): try container.encode(value)
            }
        }
    }

    var prediction: Value
    var probability: Double?
    var probabilities: [String: Double]?
    var ignoredFields: [String]?

    init(_ prediction: Prediction) {
        self.prediction = prediction.label.map(Value.label) ?? .number(prediction.value)
        self.probability = prediction.probability
        self.probabilities = prediction.probabilities
        self.ignoredFields = prediction.unknownFields.isEmpty ? nil : prediction.unknownFields.sorted()
    }

    enum CodingKeys: String, CodingKey {
        case prediction, probability, probabilities
        case ignoredFields = "ignored_fields"
    }
}

struct SinglePredictionResponse: Encodable, ResponseEncodable {
    var body: PredictionBody
    var modelName: String
    var modelVersion: String
    var timestamp: Date

    enum CodingKeys: String, CodingKey {
        case modelName = "model_name"
        case modelVersion = "model_version"
        case timestamp
    }

    func encode(to encoder: any Encoder) throws {
        try body.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(modelName, forKey: .modelName)
        try container.encode(modelVersion, forKey: .modelVersion)
        try container.encode(timestamp, forKey: .timestamp)
    }
}

struct BatchResponse: Encodable, ResponseEncodable {
    struct Failure: Encodable, Sendable {
        var index: Int
        var details: [FieldProblem]
    }

    /// One entry per record, in order: the prediction, or null where `errors` explains why.
    var predictions: [PredictionBody?]
    var count: Int
    var errors: [Failure]
    var modelName: String
    var modelVersion: String
    var timestamp: Date

    enum CodingKeys: String, CodingKey {
        case predictions, count, errors
        case modelName = "model_name"
        case modelVersion = "model_version"
        case timestamp
    }
}
