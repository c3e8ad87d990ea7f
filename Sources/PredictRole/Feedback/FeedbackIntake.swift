import Foundation
import Kernel
import MLCore

/// Turns what a client sends to `POST /feedback` into rows for the feedback store: the id must
/// be one this deployment issued, and the truth must be a class the model knows (classifiers) or
/// a finite number (regressors). Problems are named per field, by item.
struct FeedbackIntake: Sendable {
    let predictionIDs: PredictionIDs
    let known: KnownModels
    /// Predictions older than the feedback retention are refused: their truth would be deleted
    /// at once, and an old id cannot be replayed into the window.
    let maximumAge: Duration

    struct Item {
        var predictionID: String?
        var label: JSONValue?
        var value: JSONValue?
    }

    /// The items of a body: one at the top level, or many under `feedback`.
    static func items(_ document: JSONValue, maximum: Int) throws -> (items: [Item], batch: Bool) {
        let body = try RequestFields.object(document)
        if let list = body["feedback"], list != .null {
            guard case .array(let entries) = list else { throw APIError.validation(field: "feedback", problem: "expected array") }
            // The document's `maxItems`: a request that breaks it is invalid, not too large.
            guard entries.count <= maximum else {
                throw APIError.validation(field: "feedback", problem: "at most \(maximum) items; got \(entries.count)")
            }
            guard !entries.isEmpty else { throw APIError.validation(field: "feedback", problem: "no items") }
            let items = try entries.enumerated().map { index, entry in
                try item(try RequestFields.object(entry, field: "feedback[\(index)]"), prefix: "feedback[\(index)].")
            }
            return (items, true)
        }
        return ([try item(body, prefix: "")], false)
    }

    /// An item whose fields break the documented types refuses the whole request, as a batch of
    /// predictions does; what only the model can judge (the id, the class) is answered per item.
    private static func item(_ members: [String: JSONValue], prefix: String) throws -> Item {
        let id: String?
        switch members["prediction_id"] {
        case nil: id = nil
        case .string(let text)? where text.utf8.count <= 256: id = text
        case .string?: throw APIError.validation(field: prefix + "prediction_id", problem: "at most 256 characters")
        default: throw APIError.validation(field: prefix + "prediction_id", problem: "expected string")
        }
        switch members["label"] {
        case nil, .string?, .number?, .bool?: break
        default: throw APIError.validation(field: prefix + "label", problem: "expected a string, number or boolean")
        }
        switch members["value"] {
        case nil, .number?: break
        default: throw APIError.validation(field: prefix + "value", problem: "expected number")
        }
        return Item(predictionID: id, label: members["label"], value: members["value"])
    }

    func row(_ item: Item, receivedAt: Date) -> Result<PredictionFeedback, RecordIssues> {
        guard let id = item.predictionID else { return .failure(RecordIssues(issues: [FieldIssue(field: "prediction_id", problem: "field required")])) }
        guard let contents = predictionIDs.read(id) else {
            return .failure(RecordIssues(issues: [FieldIssue(field: "prediction_id", problem: "not a prediction id this deployment issued")]))
        }
        guard receivedAt.timeIntervalSince(contents.issuedAt) <= Double(maximumAge.components.seconds) else {
            return .failure(RecordIssues(issues: [FieldIssue(field: "prediction_id", problem: "the prediction is older than the feedback retention")]))
        }
        guard let model = known.identity(of: contents.modelKey) else {
            return .failure(
                RecordIssues(issues: [FieldIssue(field: "prediction_id", problem: "the model that made this prediction is no longer served")]))
        }
        let actual: Double
        switch truth(item, for: model) {
        case .success(let value): actual = value
        case .failure(let issue): return .failure(RecordIssues(issues: [issue]))
        }
        return .success(
            PredictionFeedback(
                predictionID: id, modelKey: Self.hex(contents.modelKey), arm: contents.arm.rawValue, predicted: contents.predicted,
                actual: actual, predictedAt: contents.issuedAt, receivedAt: receivedAt))
    }

    /// The truth in the encoding of the prediction: a class index, or the value.
    private func truth(_ item: Item, for model: KnownModels.Identity) -> Result<Double, FieldIssue> {
        switch model.task {
        case .classification:
            let text: String
            switch item.label {
            case .string(let label)?: text = label
            case .number(let number)? where number == number.rounded() && abs(number) < 1e15: text = String(Int(number))
            case .bool(let flag)?: text = flag ? "true" : "false"
            case nil, .null?: return .failure(FieldIssue(field: "label", problem: "field required for a classifier"))
            default: return .failure(FieldIssue(field: "label", problem: "expected a class label"))
            }
            guard let index = model.classLabels.firstIndex(of: text) else {
                let known = model.classLabels.prefix(10).joined(separator: ", ")
                return .failure(FieldIssue(field: "label", problem: "unknown class '\(text)'; expected one of \(known)"))
            }
            return .success(Double(index))
        case .regression:
            switch item.value ?? item.label {
            case .number(let number)? where number.isFinite: return .success(number)
            case nil, .null?: return .failure(FieldIssue(field: "value", problem: "field required for a regressor"))
            default: return .failure(FieldIssue(field: "value", problem: "expected a finite number"))
            }
        }
    }

    static func hex(_ key: UInt64) -> String {
        let digits = String(key, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
