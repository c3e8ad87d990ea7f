import MLCore

/// What the predict role refuses beyond what the feature pipeline itself refuses (missing fields,
/// wrong types): categories the model never saw, and, when asked, fields it does not use.
struct RecordPolicy: Sendable {
    var rejectUnknownCategories: Bool
    var rejectExtraFields: Bool

    func issues(in record: [String: RawValue], for model: LoadedModel) -> [FieldIssue] {
        var issues: [FieldIssue] = []
        if rejectUnknownCategories {
            for (name, known) in model.categories {
                guard case .string(let label)? = record[name], !known.contains(label) else { continue }
                let examples = known.sorted().prefix(10).joined(separator: ", ")
                issues.append(FieldIssue(field: name, problem: "unknown category '\(label)'; expected one of \(examples)\(known.count > 10 ? ", …" : "")"))
            }
        }
        if rejectExtraFields {
            for name in record.keys where !model.inputNames.contains(name) {
                issues.append(FieldIssue(field: name, problem: "not an input of this model"))
            }
        }
        return issues.sorted { $0.field < $1.field }
    }
}
