import Foundation

/// How a bundle's model was produced: enough to reproduce it.
public struct TrainingRecord: Codable, Sendable, Equatable {
    public var preprocess: PreprocessSpec?
    public var features: FeatureOptions
    public var seed: UInt64
    public var cvFolds: Int?
    /// md5 of the raw file the data came from (DVC data version).
    public var dataVersion: String
    public var fitSeconds: Double?

    public init(preprocess: PreprocessSpec?, features: FeatureOptions, seed: UInt64, cvFolds: Int? = nil, dataVersion: String, fitSeconds: Double? = nil) {
        self.preprocess = preprocess
        self.features = features
        self.seed = seed
        self.cvFolds = cvFolds
        self.dataVersion = dataVersion
        self.fitSeconds = fitSeconds
    }

    enum CodingKeys: String, CodingKey {
        case preprocess, features, seed
        case cvFolds = "cv_folds"
        case dataVersion = "data_version"
        case fitSeconds = "fit_seconds"
    }
}

/// One prediction from raw input.
public struct Prediction: Sendable, Equatable {
    /// The predicted class label, or the regression value formatted by the caller.
    public var label: String?
    public var value: Double
    /// Probability of the predicted class.
    public var probability: Double?
    /// Per-class probabilities keyed by label.
    public var probabilities: [String: Double]?
    public var unknownFields: [String]
}

/// Everything inference needs in one file: input schema, fitted feature pipeline, model, class
/// labels, metrics, and how it was trained. Prediction never needs the training data.
public struct ModelBundle: Sendable {
    public static let format = "mlopsd-model-bundle"
    /// The newest format this build reads. 2 added `decision_threshold`, 3 the compact file
    /// (`FileForm`) and categorical splits. A JSON bundle is written with the oldest version
    /// that holds it, so an earlier mlopsd (in a rolling upgrade) keeps reading what it can and
    /// refuses the rest rather than serving it wrongly; a compact file it refuses as not JSON.
    public static let formatVersion = 3

    public var name: String
    public var task: TaskKind
    public var pipeline: FeaturePipeline
    public var classLabels: [String]
    public var metrics: [String: Double]
    public var training: TrainingRecord
    public var createdAt: Date
    public var model: any Model
    /// A binary classifier predicts the second class when its probability is at least this (a
    /// threshold tuned in training); without one, the likelier class.
    public var decisionThreshold: Double?
    /// The training data binned, for drift monitoring; nil in bundles written before it existed.
    /// An optional key needs no new format version: readers ignore keys they do not know.
    public var referenceProfile: ReferenceProfile?

    public var modelType: String { type(of: model).modelType }
    public var inputSchema: [ColumnSchema] { pipeline.inputSchema }

    public init(
        name: String, task: TaskKind, pipeline: FeaturePipeline, classLabels: [String], metrics: [String: Double],
        training: TrainingRecord, createdAt: Date = Date(), model: any Model, decisionThreshold: Double? = nil,
        referenceProfile: ReferenceProfile? = nil
    ) {
        self.name = name
        self.task = task
        self.pipeline = pipeline
        self.classLabels = classLabels
        self.metrics = metrics
        self.training = training
        self.createdAt = createdAt
        self.model = model
        self.decisionThreshold = decisionThreshold
        self.referenceProfile = referenceProfile
    }

    /// Predicts every record; a bad record yields its field issues without failing the others.
    public func predict(records: [[String: RawValue]]) -> [Result<Prediction, RecordIssues>] {
        let transformed = records.map { pipeline.transform(record: $0) }
        let good = transformed.compactMap { try? $0.get() }
        let matrix = FeatureMatrix(
            rows: good.count, columns: pipeline.featureNames.count, values: good.flatMap(\.features), names: pipeline.featureNames
        )
        // Classification derives the class from the probabilities rather than scoring twice.
        let probabilities = model.predictProbabilities(matrix)
        let values = probabilities.map { rows in rows.map { Evaluation.predictedClass($0, threshold: decisionThreshold) } } ?? model.predict(matrix)
        var next = 0
        return transformed.map { result in
            result.map { record in
                defer { next += 1 }
                return prediction(value: values[next], probabilities: probabilities?[next], unknownFields: record.unknownFields)
            }
        }
    }

    private func prediction(value: Double, probabilities: [Double]?, unknownFields: [String]) -> Prediction {
        guard task == .classification else {
            return Prediction(label: nil, value: value, probability: nil, probabilities: nil, unknownFields: unknownFields)
        }
        let index = Int(value)
        let byLabel = probabilities.map { Dictionary(uniqueKeysWithValues: zip(classLabels, $0)) }
        return Prediction(
            label: classLabels.indices.contains(index) ? classLabels[index] : nil,
            value: value,
            probability: probabilities.flatMap { $0.indices.contains(index) ? $0[index] : nil },
            probabilities: byLabel,
            unknownFields: unknownFields
        )
    }
}

extension ModelBundle: Codable {
    enum CodingKeys: String, CodingKey {
        case format
        case formatVersion = "format_version"
        case name
        case modelType = "model_type"
        case task, pipeline
        case classLabels = "class_labels"
        case metrics, training
        case createdAt = "created_at"
        case model
        case decisionThreshold = "decision_threshold"
        case referenceProfile = "reference_profile"
    }

    public enum LoadError: Error, Sendable, Equatable, CustomStringConvertible {
        case notABundle
        case unsupportedVersion(Int)
        case unknownModelType(String)

        public var description: String {
            switch self {
            case .notABundle: "not an mlopsd model bundle"
            case .unsupportedVersion(let version): "bundle format version \(version) is newer than this mlopsd understands (\(ModelBundle.formatVersion))"
            case .unknownModelType(let type): "model type '\(type)' is not available in this build"
            }
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard try container.decodeIfPresent(String.self, forKey: .format) == Self.format else { throw LoadError.notABundle }
        let version = try container.decode(Int.self, forKey: .formatVersion)
        guard version <= Self.formatVersion else { throw LoadError.unsupportedVersion(version) }
        let modelType = try container.decode(String.self, forKey: .modelType)
        guard let type = ModelCatalog.type(named: modelType) else { throw LoadError.unknownModelType(modelType) }
        name = try container.decode(String.self, forKey: .name)
        task = try container.decode(TaskKind.self, forKey: .task)
        pipeline = try container.decode(FeaturePipeline.self, forKey: .pipeline)
        classLabels = try container.decode([String].self, forKey: .classLabels)
        metrics = try container.decode([String: Double].self, forKey: .metrics)
        training = try container.decode(TrainingRecord.self, forKey: .training)
        createdAt = try container.decode(Date.self, forKey: .createdAt)
        model = try type.init(from: container.superDecoder(forKey: .model))
        decisionThreshold = try container.decodeIfPresent(Double.self, forKey: .decisionThreshold)
        try Self.validate(model, pipeline: pipeline, task: task, classLabels: classLabels, decisionThreshold: decisionThreshold)
        referenceProfile = try container.decodeIfPresent(ReferenceProfile.self, forKey: .referenceProfile)
        try referenceProfile?.validate(inputSchema: pipeline.inputSchema, target: pipeline.target, task: task)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(Self.format, forKey: .format)
        // Categorical splits are new in format 3 as well: an older mlopsd would read past them.
        let needsThree = encoder.userInfo[.bundleBlocks] != nil || (model as? GradientBoosting)?.hasCategoricalSplits == true
        let version = needsThree ? CompactBundle.formatVersion : decisionThreshold == nil ? 1 : 2
        try container.encode(version, forKey: .formatVersion)
        try container.encode(name, forKey: .name)
        try container.encode(modelType, forKey: .modelType)
        try container.encode(task, forKey: .task)
        try container.encode(pipeline, forKey: .pipeline)
        try container.encode(classLabels, forKey: .classLabels)
        try container.encode(metrics, forKey: .metrics)
        try container.encode(training, forKey: .training)
        try container.encode(createdAt, forKey: .createdAt)
        try model.encode(to: container.superEncoder(forKey: .model))
        try container.encodeIfPresent(decisionThreshold, forKey: .decisionThreshold)
        try container.encodeIfPresent(referenceProfile, forKey: .referenceProfile)
    }

    /// How a bundle file is written.
    public enum FileForm: Sendable {
        /// Format 3: deflated, trees as compact blocks; about a fifth of the JSON form, and
        /// loaded several times faster.
        case compact
        /// Formats 1 and 2: one JSON document, trees as arrays of numbers, which any JSON tool
        /// and an mlopsd older than format 3 can read.
        case json
    }

    /// The bundle file. Its JSON (the whole file, or the compact form's header) has sorted keys
    /// and ISO 8601 dates.
    public func fileData(_ form: FileForm = .compact) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        guard form == .compact else { return try encoder.encode(self) }
        let blocks = BundleBlocks()
        encoder.userInfo[.bundleBlocks] = blocks
        let header = try encoder.encode(self)
        return CompactBundle.write(header: header, blocks: blocks.bytes)
    }

    /// Reads either form, telling them apart by the first bytes.
    public static func load(from data: Data) throws -> ModelBundle {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        guard CompactBundle.isCompact(data) else { return try decoder.decode(ModelBundle.self, from: data) }
        let version = try CompactBundle.formatVersion(of: data)
        guard version <= formatVersion else { throw LoadError.unsupportedVersion(version) }
        let (header, blocks) = try CompactBundle.read(data)
        decoder.userInfo[.bundleBlocks] = BundleBlocks(blocks)
        return try decoder.decode(ModelBundle.self, from: header)
    }
}
