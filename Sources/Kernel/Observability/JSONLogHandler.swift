import Foundation
import Logging
import Synchronization

/// A swift-log handler that writes one JSON object per line to standard error, the format
/// log collectors (Loki, CloudWatch, `docker logs | jq`) read without parsing rules.
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

    public func log(event: LogEvent) {
        var fields: [String: JSONValue] = [
            "ts": .string(Date().formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))),
            "level": .string(event.level.rawValue),
            "logger": .string(label),
            "msg": .string(event.message.description),
        ]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields[key] = Self.json(value)
        }
        sink.write(JSONValue.object(fields).jsonString())
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let text): .string(text)
        case .stringConvertible(let value):
            if let number = value as? any BinaryInteger { .number(Double(number)) } else { .string(value.description) }
        case .array(let values): .array(values.map(json))
        case .dictionary(let values): .object(values.mapValues(json))
        }
    }
}

/// Where log lines go; tests capture them to check what is (and is not) logged.
public final class LogSink: Sendable {
    private let lines = Mutex<[String]?>(nil)
    private let toStandardError: Bool

    private init(capturing: Bool) {
        toStandardError = !capturing
        if capturing { lines.withLock { $0 = [] } }
    }

    public static let standardError = LogSink(capturing: false)
    public static func capturing() -> LogSink { LogSink(capturing: true) }

    func write(_ line: String) {
        if toStandardError {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        } else {
            lines.withLock { $0?.append(line) }
        }
    }

    public var captured: [String] { lines.withLock { $0 ?? [] } }
}
