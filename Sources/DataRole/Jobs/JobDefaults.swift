import Foundation
import Kernel

/// Completes the bodies of `POST /preprocess` and `POST /build-features` that leave out what to
/// work on, as the replaced services' clients send them (`{}`): the configured or most recent
/// dataset and its target, the most recent processed version. What a job was given this way is in
/// its parameters, so the job record says what was chosen.
struct JobDefaults: Sendable {
    /// A dataset id or name (`MLOPSD_DEFAULT_DATASET`).
    var dataset: String?
    /// A target column (`MLOPSD_DEFAULT_TARGET`).
    var target: String?

    /// Fields naming files of the replaced services' code base: refused by name rather than
    /// ignored, so a client relying on them learns at once that they are not read.
    static let refusedFields = [
        "config_path": "files of the replaced services are not read; send the options in this body",
        "raw_data_path": "files are not read by path; upload the CSV and give its dataset_id",
    ]

    static func refuse(_ body: [String: JSONValue]) throws {
        let problems = refusedFields.keys.sorted().filter { body[$0] != nil }.map { FieldProblem(field: $0, problem: refusedFields[$0] ?? "") }
        guard problems.isEmpty else { throw APIError.validation(problems) }
    }

    /// The body with `dataset_id` and `target` filled in where it left them out.
    func completingPreprocess(_ body: [String: JSONValue], catalog: any DataCatalog) async throws -> [String: JSONValue] {
        try Self.refuse(body)
        var body = body
        if body["dataset_id"] != nil {
            guard body["target"] == nil, let id = body["dataset_id"]?.stringValue else { return body }
            guard let dataset = try await catalog.dataset(id: id) else { throw DataAPI.unknown("dataset_id", "No dataset with id '\(id)'") }
            body["target"] = .string(try await target(for: dataset, catalog: catalog))
            return body
        }
        let dataset = try await defaultDataset(catalog)
        body["dataset_id"] = .string(dataset.id)
        if body["target"] == nil { body["target"] = .string(try await target(for: dataset, catalog: catalog)) }
        return body
    }

    /// The body with `processed_version` filled in where it left it out.
    func completingBuildFeatures(_ body: [String: JSONValue], catalog: any DataCatalog) async throws -> [String: JSONValue] {
        try Self.refuse(body)
        guard body["processed_version"] == nil else { return body }
        guard let latest = try await catalog.versions(kind: .processed, parent: nil, limit: 1, offset: 0).versions.first else {
            throw Self.missing("processed_version", "No processed version exists yet; preprocess a dataset first")
        }
        var body = body
        body["processed_version"] = .string(latest.version)
        return body
    }

    private func defaultDataset(_ catalog: any DataCatalog) async throws -> Dataset {
        guard let configured = dataset else {
            guard let latest = try await catalog.datasets(name: nil, limit: 1, offset: 0).datasets.first else {
                throw Self.missing("dataset_id", "No dataset has been uploaded yet")
            }
            return latest
        }
        if let byID = try await catalog.dataset(id: configured) { return byID }
        guard let byName = try await catalog.datasets(name: configured, limit: 1, offset: 0).datasets.first else {
            throw Self.missing("dataset_id", "MLOPSD_DEFAULT_DATASET names '\(configured)', which is neither a dataset id nor a dataset's name")
        }
        return byName
    }

    /// The target this dataset was last preprocessed with, else the configured one.
    private func target(for dataset: Dataset, catalog: any DataCatalog) async throws -> String {
        let previous = try await catalog.versions(kind: .processed, parent: dataset.id, limit: 1, offset: 0).versions.first
        guard let target = previous?.manifest["target"]?.stringValue ?? target else {
            throw APIError.validation(
                field: "target",
                problem: "no default for \(dataset.id): give target, set MLOPSD_DEFAULT_TARGET, or preprocess this dataset once with a target")
        }
        return target
    }

    private static func missing(_ field: String, _ message: String) -> APIError {
        APIError(.notFound, code: "not_found", message: message, details: [FieldProblem(field: field, problem: "none to default to")])
    }
}
