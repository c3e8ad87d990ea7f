import Foundation
import Kernel
import MLCore

/// A processed split (and, for a feature set, its fitted pipeline) read from the shared data
/// directory, with the manifest that says where it came from.
struct TrainingData: Sendable {
    var split: PreprocessResult
    var pipeline: FeaturePipeline?
    var manifest: DataVersionManifest
    var processedManifest: DataVersionManifest

    /// `pp-`/`fs-` followed by 16 hex digits: the only names that reach the file system.
    static func isVersionID(_ id: String, prefix: String) -> Bool {
        id.count == prefix.count + 16 && id.hasPrefix(prefix) && id.dropFirst(prefix.count).allSatisfy(\.isHexDigit)
    }

    static func manifest(in directory: URL) throws -> DataVersionManifest? {
        let url = directory.appendingPathComponent(DataVersionManifest.fileName)
        guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        return try VersionJSON.read(DataVersionManifest.self, from: url)
    }

    /// Finds the version named by the request, or a 404 naming the field.
    static func locate(_ request: TrainRequest, dataDirectory: URL) throws -> (directory: URL, manifest: DataVersionManifest) {
        let (field, id, kind) =
            request.featuresVersion.map { ("features_version", $0, "features") }
            ?? ("processed_version", request.processedVersion ?? "", "processed")
        let directory = dataDirectory.appendingPathComponent(kind).appendingPathComponent(id)
        guard let manifest = try manifest(in: directory) else {
            throw APIError(
                .notFound, code: "not_found", message: "No \(kind) version '\(id)' in the data directory",
                details: [FieldProblem(field: field, problem: "does not exist")])
        }
        return (directory, manifest)
    }

    static func load(_ request: TrainRequest, dataDirectory: URL) throws -> TrainingData {
        let (directory, manifest) = try locate(request, dataDirectory: dataDirectory)
        guard manifest.kind == "features" else {
            return TrainingData(split: try ProcessedSplitFiles.read(from: directory), pipeline: nil, manifest: manifest, processedManifest: manifest)
        }
        guard let processed = manifest.inputs.first(where: { $0.kind == "processed" }),
            isVersionID(processed.id, prefix: "pp-")
        else {
            throw JobFailure("feature set \(manifest.version) names no processed version it was built from")
        }
        let processedDirectory = dataDirectory.appendingPathComponent("processed").appendingPathComponent(processed.id)
        guard let processedManifest = try self.manifest(in: processedDirectory) else {
            throw JobFailure("processed version \(processed.id), which \(manifest.version) was built from, is missing")
        }
        return TrainingData(
            split: try ProcessedSplitFiles.read(from: processedDirectory),
            pipeline: try FeatureSetFiles.readPipeline(from: directory),
            manifest: manifest,
            processedManifest: processedManifest
        )
    }

    /// MD5 of the raw file at the root of the lineage: the `data_version` of every run.
    var dataVersion: String { manifest.dataset?.md5 ?? processedManifest.dataset?.md5 ?? manifest.version }
}
