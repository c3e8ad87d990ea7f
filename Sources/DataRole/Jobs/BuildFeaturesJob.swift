import Foundation
import Kernel
import MLCore

/// `build_features`: fits the feature pipeline on a processed version's train split and
/// publishes it as `features/<version>/` (pipeline, manifest, a summary of what it produces).
struct BuildFeaturesJob: Sendable {
    static let type = "build_features"

    let catalog: any DataCatalog
    let workspace: DataWorkspace

    var kind: JobKind {
        JobKind(name: Self.type, aliases: ["feature_engineering"], maxConcurrent: 1) { execution in try await run(execution) }
    }

    /// What the fitted pipeline turns the split into, for people choosing options.
    struct Summary: Codable, Sendable {
        var featureCount: Int
        var featureNames: [String]
        var trainRows: Int
        var testRows: Int
        /// Test values the training split never showed (unseen categories), by input column.
        var unseenInTest: [String: Int]

        enum CodingKeys: String, CodingKey {
            case featureCount = "feature_count"
            case featureNames = "feature_names"
            case trainRows = "train_rows"
            case testRows = "test_rows"
            case unseenInTest = "unseen_in_test"
        }
    }

    func run(_ execution: JobExecution) async throws -> JSONValue {
        let request = try execution.params.decode(BuildFeaturesRequest.self)
        guard let processed = try await catalog.version(request.processedVersion), processed.kind == .processed else {
            throw JobFailure("processed version '\(request.processedVersion)' does not exist")
        }
        let version = try DataVersionKind.features.versionID(input: processed.version, parameters: request.options)
        if let existing = try await catalog.version(version) {
            return try Self.result(existing, reused: true)
        }
        let source = try processed.manifest.decode(DataVersionManifest.self)

        try await execution.progress(5, "reading \(processed.path)")
        let directory = workspace.url(forRelativePath: processed.path)
        let (train, test) = try await Offload.run {
            let digest = try DVCRepository.digestDirectory(directory)
            guard digest.digest.md5 == processed.md5 else {
                throw JobFailure(
                    "\(processed.path) changed on disk since it was published (\(digest.digest.md5), expected \(processed.md5)); run `dvc checkout` or preprocess again"
                )
            }
            let split = try ProcessedSplitFiles.read(from: directory)
            return (split.train, split.test)
        }

        try await execution.progress(30, "fitting the feature pipeline on \(train.rowCount) rows")
        let options = request.options
        let pipeline: FeaturePipeline
        do {
            pipeline = try await Offload.run { try FeaturePipeline.fit(train, target: source.target, options: options) }
        } catch let error as FeaturePipeline.FitError {
            throw JobFailure("feature pipeline: \(error)")
        }

        try await execution.progress(60, "checking the pipeline on \(test.rowCount) test rows")
        let summary = try await Offload.run {
            let matrix = try pipeline.transform(test)
            return Summary(
                featureCount: pipeline.featureNames.count, featureNames: pipeline.featureNames,
                trainRows: train.rowCount, testRows: matrix.rows, unseenInTest: Self.unseenCategories(test, pipeline: pipeline)
            )
        }

        try await execution.progress(75, "writing the pipeline")
        let staging = try workspace.makeStagingDirectory()
        defer { try? FileManager.default.removeItem(at: staging) }
        let manifest = DataVersionManifest(
            version: version, kind: DataVersionKind.features.rawValue, createdAt: Date(), createdBy: execution.job.createdBy,
            jobID: execution.job.jobID,
            // Lineage: the processed version this was fitted on, and the raw dataset behind it.
            inputs: [.init(kind: "processed", id: processed.version, path: processed.path, md5: processed.md5)] + source.inputs,
            target: source.target, task: source.task, classLabels: source.classLabels,
            parameters: try JSONValue(encoding: options),
            files: [FeatureSetFiles.pipeline, FeatureSetFiles.summary]
        )
        try await Offload.run {
            try VersionJSON.write(pipeline, to: staging.appendingPathComponent(FeatureSetFiles.pipeline))
            try VersionJSON.write(summary, to: staging.appendingPathComponent(FeatureSetFiles.summary))
            try VersionJSON.write(manifest, to: staging.appendingPathComponent(DataVersionManifest.fileName))
        }

        try await execution.progress(90, "versioning \(version)")
        let workspace = self.workspace
        let published = try await Offload.run { try workspace.publishVersion(staging, kind: .features, version: version) }
        FaultPoint.versionPublished.reached()
        let record = DataVersionRecord(
            version: version, kind: .features, parent: processed.version, digest: published.digest,
            path: workspace.relativePath(of: published.url), jobID: execution.job.jobID,
            createdBy: execution.job.createdBy, createdAt: manifest.createdAt,
            manifest: try JSONValue(encoding: manifest).merging(["summary": try JSONValue(encoding: summary)])
        )
        try await catalog.record(record)
        FaultPoint.versionRecorded.reached()
        return try Self.result(record, reused: false)
    }

    static func unseenCategories(_ table: Table, pipeline: FeaturePipeline) -> [String: Int] {
        var unseen: [String: Int] = [:]
        for schema in pipeline.inputSchema {
            guard let known = schema.categories, let column = table.column(named: schema.name),
                case .categorical(let codes, let labels) = column.storage
            else { continue }
            let knownSet = Set(known)
            let newCodes = Set(labels.indices.filter { !knownSet.contains(labels[$0]) }.map(Int32.init))
            let count = codes.reduce(0) { $0 + (newCodes.contains($1) ? 1 : 0) }
            if count > 0 { unseen[schema.name] = count }
        }
        return unseen
    }

    static func result(_ record: DataVersionRecord, reused: Bool) throws -> JSONValue {
        let summary = record.manifest["summary"]
        return [
            "version": .string(record.version),
            "path": .string(record.path),
            "md5": .string(record.md5),
            "processed_version": .string(record.parent),
            "feature_count": summary?["feature_count"] ?? .null,
            "feature_names": summary?["feature_names"] ?? .null,
            "unseen_in_test": summary?["unseen_in_test"] ?? .null,
            "reused": .bool(reused),
        ]
    }
}
