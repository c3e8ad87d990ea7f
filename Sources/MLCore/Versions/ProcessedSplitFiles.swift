import Foundation

/// The files of a processed data version (`processed/<version>/`): the split as CSV with the
/// schema it must read back with, and the preprocessing report. The data role writes them; the
/// train role reads them from the shared data directory.
public enum ProcessedSplitFiles {
    public static let train = "train.csv"
    public static let test = "test.csv"
    public static let schema = "schema.json"
    public static let report = "report.json"

    public static func write(_ split: PreprocessResult, to directory: URL) throws {
        try Data(CSVWriter.write(split.train)).write(to: directory.appendingPathComponent(train))
        try Data(CSVWriter.write(split.test)).write(to: directory.appendingPathComponent(test))
        try VersionJSON.write(split.schema, to: directory.appendingPathComponent(schema))
        try VersionJSON.write(split.report, to: directory.appendingPathComponent(report))
    }

    /// Reads the split back with the kinds its schema declares, so it types exactly as written.
    public static func read(from directory: URL) throws -> PreprocessResult {
        let declared = try VersionJSON.read(TableSchema.self, from: directory.appendingPathComponent(schema))
        let options = CSVOptions.conforming(to: declared)
        return PreprocessResult(
            train: try CSVReader.read(path: directory.appendingPathComponent(train).path, options: options),
            test: try CSVReader.read(path: directory.appendingPathComponent(test).path, options: options),
            schema: declared,
            report: try VersionJSON.read(PreprocessReport.self, from: directory.appendingPathComponent(report))
        )
    }
}

/// The files of a feature set (`features/<version>/`): the fitted pipeline.
public enum FeatureSetFiles {
    public static let pipeline = "pipeline.json"
    public static let summary = "summary.json"

    public static func readPipeline(from directory: URL) throws -> FeaturePipeline {
        try VersionJSON.read(FeaturePipeline.self, from: directory.appendingPathComponent(pipeline))
    }
}

/// JSON inside data versions: pretty and key-sorted, because people read these files and DVC
/// users diff them.
public enum VersionJSON {
    public static func write(_ value: some Encodable, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        try (encoder.encode(value) + Data("\n".utf8)).write(to: url)
    }

    public static func read<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(T.self, from: Data(contentsOf: url))
    }
}
