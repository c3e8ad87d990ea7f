import Foundation

/// A run's parameters, metrics and tags as the embedded trackers store them (JSON text), and the
/// rule for logging more: MLflow's, where a logged parameter never changes.
struct RunFields {
    var params: [String: String]
    var metrics: [String: Double]
    var tags: [String: String]

    init(params: String, metrics: String, tags: String) throws {
        self.params = try Self.decode(params)
        self.metrics = try Self.decode(metrics)
        self.tags = try Self.decode(tags)
    }

    mutating func log(params: [String: String], metrics: [String: Double], tags: [String: String]) throws {
        for (key, value) in params {
            if let old = self.params[key], old != value { throw TrackingError("parameter '\(key)' was already logged as '\(old)'") }
            self.params[key] = value
        }
        self.metrics.merge(metrics) { _, new in new }
        self.tags.merge(tags) { _, new in new }
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ text: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }
}
