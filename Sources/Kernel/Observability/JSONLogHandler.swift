import Foundation
import Logging

/// A swift-log handler that writes one JSON object per line to standard error, the format
/// log collectors (Loki, CloudWatch, `docker logs | jq`) read without parsing rules.
/// Members: `ts`, `level`, `logger`, `msg`, then the metadata.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    private let label: String
    private let sink: LogSink

    public init(label: String, level: Logger.Level, sink: LogSink = .standardError) {
        self.label = label
        self.logLevel = level
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    private static let reservedKeys: Set<String> = ["ts", "level", "logger", "msg"]

    public func log(event: LogEvent) {
        var writer = JSONWriter(capacity: 320)
        writer.beginObject()
        writer.key("ts")
        writer.string(ISO8601Timestamp.string(Date(), milliseconds: true))
        writer.key("level")
        writer.string(event.level.rawValue)
        writer.key("logger")
        writer.string(label)
        writer.key("msg")
        writer.string(event.message.description)
        // The event's metadata wins over the handler's for the same key.
        let eventMetadata = event.metadata ?? [:]
        for (key, value) in metadata where eventMetadata[key] == nil && !Self.reservedKeys.contains(key) {
            writer.key(key)
            Self.write(value, to: &writer)
        }
        for (key, value) in eventMetadata where !Self.reservedKeys.contains(key) {
            writer.key(key)
            Self.write(value, to: &writer)
        }
        writer.endObject()
        sink.write(writer.bytes, immediately: event.level >= .warning)
    }

    static func write(_ value: Logger.Metadata.Value, to writer: inout JSONWriter) {
        switch value {
        case .string(let text):
            writer.string(text)
        case .stringConvertible(let value):
            if let number = value as? any BinaryInteger { writer.number(Double(number)) } else { writer.string(value.description) }
        case .array(let values):
            writer.beginArray()
            for element in values { write(element, to: &writer) }
            writer.endArray()
        case .dictionary(let values):
            writer.beginObject()
            for (key, element) in values {
                writer.key(key)
                write(element, to: &writer)
            }
            writer.endObject()
        }
    }
}
