import Foundation

/// The JSON files inside a data version (`schema.json`, `manifest.json`, `pipeline.json`…).
enum JSONFile {
    /// Pretty, key-sorted JSON: these files are read by people and diffed by DVC users.
    static func write(_ value: some Encodable, to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        try (encoder.encode(value) + Data("\n".utf8)).write(to: url)
    }

    static func read<T: Decodable>(_ type: T.Type, from url: URL) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(T.self, from: Data(contentsOf: url))
    }
}
