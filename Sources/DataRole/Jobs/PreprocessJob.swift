import Foundation
import Kernel
import Logging
import MLCore

/// `preprocess`: raw dataset → cleaned train/test split, published as `processed/<version>/`.
struct PreprocessJob: Sendable {
    static let type = "preprocess"

    let catalog: any DataCatalog
    let workspace: DataWorkspace

    var kind: JobKind {
        JobKind(name: Self.type, aliases: ["preprocessing"], maxConcurrent: 1) { execution in try await run(execution) }
    }

    func run(_ execution: JobExecution) async throws -> JSONValue {
        let request = try execution.params.decode(PreprocessRequest.self)
        guard let dataset = try await catalog.dataset(id: request.datasetID) else {
            throw JobFailure("dataset '\(request.datasetID)' is not registered")
        }
        let version = try DataVersionKind.processed.versionID(input: dataset.md5, parameters: request.spec)
        if let existing = try await catalog.version(version) {
            return try Self.result(existing, reused: true)
        }

        try await execution.progress(5, "reading \(dataset.path)")
        let rawURL = workspace.url(forRelativePath: dataset.path)
        let table = try await Offload.run {
            // Lineage promises these exact bytes: refuse a raw file changed behind our back.
            let digest = try DataVersion.digest(ofFileAt: rawURL.path)
            guard digest.md5 == dataset.md5 else {
                throw JobFailure("\(dataset.path) changed on disk since it was registered (md5 \(digest.md5), expected \(dataset.md5)); upload it again")
            }
            return try CSVReader.read(path: rawURL.path)
        }

        try await execution.progress(30, "cleaning and splitting \(table.rowCount) rows")
        let spec = request.spec
        let split: PreprocessResult
        do {
            split = try await Offload.run { try Preprocessor.run(table, spec: spec) }
        } catch let error as PreprocessError {
            throw JobFailure("preprocessing failed: \(error)")
        }

        try await execution.progress(60, "writing \(split.report.trainRows) train and \(split.report.testRows) test rows")
        let staging = try workspace.makeStagingDirectory()
        defer { try? FileManager.default.removeItem(at: staging) }
        let manifest = DataVersionManifest(
            version: version, kind: DataVersionKind.processed.rawValue, createdAt: Date(), createdBy: execution.job.createdBy,
            jobID: execution.job.jobID,
            inputs: [.init(kind: "dataset", id: dataset.id, path: dataset.path, md5: dataset.md5)],
            target: spec.target, task: split.report.task.rawValue, classLabels: split.report.classLabels,
            parameters: try JSONValue(encoding: spec),
            files: [ProcessedSplitFiles.train, ProcessedSplitFiles.test, ProcessedSplitFiles.schema, ProcessedSplitFiles.report]
        )
        try await Offload.run {
            try ProcessedSplitFiles.write(split, to: staging)
            try VersionJSON.write(manifest, to: staging.appendingPathComponent(DataVersionManifest.fileName))
        }

        try await execution.progress(85, "versioning \(version)")
        let workspace = self.workspace
        let published = try await Offload.run { try workspace.publishVersion(staging, kind: .processed, version: version) }
        FaultPoint.versionPublished.reached()
        let record = DataVersionRecord(
            version: version, kind: .processed, parent: dataset.id, digest: published.digest,
            path: workspace.relativePath(of: published.url), jobID: execution.job.jobID,
            createdBy: execution.job.createdBy, createdAt: manifest.createdAt,
            manifest: try JSONValue(encoding: manifest).merging(["report": try JSONValue(encoding: split.report)])
        )
        try await catalog.record(record)
        FaultPoint.versionRecorded.reached()
        return try Self.result(record, reused: false)
    }

    /// The job result: where the version is, and the report (row counts, class balance, drops).
    static func result(_ record: DataVersionRecord, reused: Bool) throws -> JSONValue {
        var result: [String: JSONValue] = [
            "version": .string(record.version),
            "path": .string(record.path),
            "md5": .string(record.md5),
            "dataset_id": .string(record.parent),
            "reused": .bool(reused),
        ]
        if case .object(let report)? = record.manifest["report"] {
            result.merge(report) { own, _ in own }
        }
        return .object(result)
    }
}
