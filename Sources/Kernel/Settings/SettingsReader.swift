import Configuration
import Foundation

/// Typed access to settings with errors that name the variable: the kernel reads its own
/// through it, and each role reads its own (`TrainSettings`, `PredictSettings`…) from
/// `Settings.reader`, so the kernel knows no role's settings.
public struct SettingsReader: Sendable {
    let config: ConfigReader

    public init(config: ConfigReader) {
        self.config = config
    }

    public func string(_ name: String, secret: Bool = false) -> String? {
        guard let value = config.string(forKey: ConfigKey([name]), isSecret: secret)?.trimmingCharacters(in: .whitespaces),
            !value.isEmpty
        else { return nil }
        return value
    }

    public func int(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = string(name) else { return defaultValue }
        guard let value = Int(text) else {
            throw SettingsError(variable: name, problem: "expected a whole number, got '\(text)'")
        }
        guard range.contains(value) else {
            throw SettingsError(variable: name, problem: "must be between \(range.lowerBound) and \(range.upperBound), got \(value)")
        }
        return value
    }

    public func bool(_ name: String, default defaultValue: Bool) throws -> Bool {
        guard let text = string(name) else { return defaultValue }
        switch text.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw SettingsError(variable: name, problem: "expected true or false, got '\(text)'")
        }
    }

    /// Seconds, as a `Duration`.
    public func seconds(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws -> Duration {
        .seconds(try int(name, default: defaultValue, range: range))
    }

    public func parse<T>(_ name: String, default defaultValue: T, expected: String, _ transform: (String) -> T?) throws -> T {
        guard let text = string(name) else { return defaultValue }
        guard let value = transform(text) else {
            throw SettingsError(variable: name, problem: "expected \(expected), got '\(text)'")
        }
        return value
    }
}
