import Foundation
import Hummingbird
import Kernel
import MLCore

/// `POST /api/v1/predict`: one record. Read from the parsed document rather than through
/// `Decodable`, which cost more than the prediction itself.
struct PredictRequest: Sendable {
    var features: [String: JSONValue]
    var model: ModelAddress

    init(_ document: JSONValue) throws {
        let body = try RequestFields.object(document)
        features = try RequestFields.object(body["features"], field: "features")
        model = try ModelAddress(body)
    }
}

/// Which served model a request names: `model_name` (with `model_version`), or `model_alias`.
struct ModelAddress: Sendable {
    var name: String?
    var version: String?
    var alias: Arm?

    init(name: String? = nil, version: String? = nil, alias: Arm? = nil) {
        self.name = name
        self.version = version
        self.alias = alias
    }

    init(_ body: [String: JSONValue]) throws {
        name = try RequestFields.string(body, "model_name")
        version = try RequestFields.string(body, "model_version")
        if let alias = try RequestFields.string(body, "model_alias") {
            guard let arm = Arm(rawValue: alias), arm != .pinned else {
                throw APIError.validation(field: "model_alias", problem: "expected champion or challenger")
            }
            self.alias = arm
        }
        if alias != nil, name != nil { throw APIError.validation(field: "model_alias", problem: "give model_name or model_alias, not both") }
        if version != nil, name == nil { throw APIError.validation(field: "model_version", problem: "needs model_name") }
    }
}

/// `POST /api/v1/predict/batch` as JSON.
struct BatchRequest: Sendable {
    var featuresList: [[String: JSONValue]]
    var model: ModelAddress

    init(_ document: JSONValue) throws {
        let body = try RequestFields.object(document)
        guard let list = body["features_list"], list != .null else {
            throw APIError.validation(field: "features_list", problem: "field required")
        }
        guard case .array(let records) = list else { throw APIError.validation(field: "features_list", problem: "expected array") }
        // A value that is not a scalar breaks the documented shape: the request is refused
        // whole, while records a model cannot use are answered one by one.
        featuresList = try records.enumerated().map { index, record in
            let members = try RequestFields.object(record, field: "features_list[\(index)]")
            for (name, value) in members {
                switch value {
                case .array, .object:
                    throw APIError.validation(field: "features_list[\(index)].\(name)", problem: "expected a number, string, boolean or null")
                case .null, .bool, .number, .string:
                    continue
                }
            }
            return members
        }
        model = try ModelAddress(body)
    }
}

/// The shape checks `Decodable` made, with the same field names and problems.
enum RequestFields {
    static func object(_ document: JSONValue) throws -> [String: JSONValue] {
        guard case .object(let members) = document else { throw APIError.validation(field: "body", problem: "expected object") }
        return members
    }

    static func object(_ value: JSONValue?, field: String) throws -> [String: JSONValue] {
        switch value {
        case .object(let members)?: return members
        case nil, .null?: throw APIError.validation(field: field, problem: "field required")
        default: throw APIError.validation(field: field, problem: "expected object")
        }
    }

    static func string(_ body: [String: JSONValue], _ field: String) throws -> String? {
        switch body[field] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw APIError.validation(field: field, problem: "expected string")
        }
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

/// One prediction as the API returns it: `prediction` (label or value), and for classifiers
/// `probability` of that class and `probabilities` per class; `ignored_fields` when the record
/// carried fields the model does not use.
enum PredictionJSON {
    static func write(_ prediction: Prediction, id: String, model: LoadedModel, to writer: inout JSONWriter) {
        writer.key("prediction_id")
        writer.string(id)
        writer.key("prediction")
        if let label = prediction.label {
            if let number = model.numericLabels?[label] { writer.number(number) } else { writer.string(label) }
        } else {
            writer.number(prediction.value)
        }
        if let probability = prediction.probability {
            writer.key("probability")
            writer.number(probability)
        }
        if let probabilities = prediction.probabilities {
            writer.key("probabilities")
            writer.beginObject()
            for label in probabilities.keys.sorted() {
                writer.key(label)
                writer.number(probabilities[label] ?? 0)
            }
            writer.endObject()
        }
        if !prediction.unknownFields.isEmpty {
            writer.key("ignored_fields")
            writer.beginArray()
            for field in prediction.unknownFields.sorted() { writer.string(field) }
            writer.endArray()
        }
    }

    static func writeModel(_ model: LoadedModel, to writer: inout JSONWriter) {
        writer.key("arm")
        writer.string(model.arm.rawValue)
        writer.key("model_name")
        writer.string(model.name)
        writer.key("model_version")
        writer.string(model.version)
        writer.key("model_type")
        writer.string(model.bundle.modelType)
        writer.key("timestamp")
        writer.string(ISO8601Timestamp.string(Date()))
    }

    static func single(_ prediction: Prediction, id: String, model: LoadedModel) -> JSONResponse {
        var writer = JSONWriter(capacity: 320)
        writer.beginObject()
        write(prediction, id: id, model: model, to: &writer)
        writeModel(model, to: &writer)
        writer.endObject()
        return JSONResponse(writer)
    }

    /// One entry per record, in order: the prediction, or null where `errors` explains why.
    static func batch(_ outcomes: [Result<(Prediction, String), RecordIssues>], model: LoadedModel) -> JSONResponse {
        var writer = JSONWriter(capacity: 230 * outcomes.count + 160)
        writer.beginObject()
        writer.key("predictions")
        writer.beginArray()
        var failures = 0
        for outcome in outcomes {
            switch outcome {
            case .success(let (prediction, id)):
                writer.beginObject()
                write(prediction, id: id, model: model, to: &writer)
                writer.endObject()
            case .failure:
                writer.null()
                failures += 1
            }
        }
        writer.endArray()
        writer.key("count")
        writer.number(outcomes.count - failures)
        writer.key("errors")
        writer.beginArray()
        for (index, outcome) in outcomes.enumerated() {
            guard case .failure(let issues) = outcome else { continue }
            writer.beginObject()
            writer.key("index")
            writer.number(index)
            writer.key("details")
            writer.beginArray()
            for issue in issues.issues {
                writer.beginObject()
                writer.key("field")
                writer.string(issue.field)
                writer.key("problem")
                writer.string(issue.problem)
                writer.endObject()
            }
            writer.endArray()
            writer.endObject()
        }
        writer.endArray()
        writeModel(model, to: &writer)
        writer.endObject()
        return JSONResponse(writer)
    }
}
