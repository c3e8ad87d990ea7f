import Crypto
import Foundation
import Synchronization

/// A prediction's id carries what the role needs when the truth for it arrives: which bundle
/// predicted (the first 8 bytes of its MD5), in which arm, what it predicted and when. It is
/// signed with a key derived from the token secret, so any replica reads an id another issued,
/// nothing is stored per prediction, and a client cannot invent predictions to skew the live
/// metrics.
final class PredictionIDs: Sendable {
    struct Contents: Equatable {
        var modelKey: UInt64
        var arm: Arm
        var predicted: Double
        var issuedAt: Date
    }

    private let key: SymmetricKey
    /// Unique ids without a `getrandom` per prediction: a random base per process and a counter.
    private let nonceBase: UInt64
    private let counter = Atomic<UInt64>(0)
    private static let version: UInt8 = 1
    private static let payloadBytes = 30
    private static let tagBytes = 12
    static let textLength = (payloadBytes + tagBytes) / 3 * 4

    init(secret: String) {
        key = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Data(secret.utf8)), info: Data("mlopsd prediction id v1".utf8), outputByteCount: 32)
        var generator = SystemRandomNumberGenerator()
        nonceBase = generator.next()
    }

    func issue(model: LoadedModel, predicted: Double, at date: Date = Date()) -> String {
        issue(modelKey: model.key, arm: model.arm, predicted: predicted, at: date)
    }

    func issue(modelKey: UInt64, arm: Arm, predicted: Double, at date: Date = Date()) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(Self.payloadBytes + Self.tagBytes)
        bytes.append(Self.version)
        Self.append(modelKey, to: &bytes)
        bytes.append(arm.code)
        Self.append(predicted.bitPattern, to: &bytes)
        Self.append(UInt32(clamping: Int(date.timeIntervalSince1970)), to: &bytes)
        Self.append(nonceBase &+ counter.wrappingAdd(1, ordering: .relaxed).oldValue, to: &bytes)
        let tag = HMAC<SHA256>.authenticationCode(for: bytes, using: key)
        bytes.append(contentsOf: tag.prefix(Self.tagBytes))
        return Base64URL.encode(bytes)
    }

    /// Nil for an id this deployment did not issue, or one altered since.
    func read(_ text: String) -> Contents? {
        guard text.utf8.count == Self.textLength, let bytes = Base64URL.decode(text), bytes.count == Self.payloadBytes + Self.tagBytes else {
            return nil
        }
        let payload = bytes[..<Self.payloadBytes]
        let tag = bytes[Self.payloadBytes...]
        let expected = HMAC<SHA256>.authenticationCode(for: payload, using: key)
        // Constant-time: an attacker learns nothing from how long a wrong tag took to refuse.
        var difference: UInt8 = 0
        for (left, right) in zip(tag, expected.prefix(Self.tagBytes)) { difference |= left ^ right }
        guard difference == 0, payload.first == Self.version, let arm = Arm(code: payload[payload.startIndex + 9]) else { return nil }
        let modelKey = Self.read(UInt64.self, payload, at: 1)
        let predicted = Double(bitPattern: Self.read(UInt64.self, payload, at: 10))
        let issued = Self.read(UInt32.self, payload, at: 18)
        return Contents(modelKey: modelKey, arm: arm, predicted: predicted, issuedAt: Date(timeIntervalSince1970: TimeInterval(issued)))
    }

    private static func append<Integer: FixedWidthInteger>(_ value: Integer, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }

    private static func read<Integer: FixedWidthInteger>(_ type: Integer.Type, _ bytes: ArraySlice<UInt8>, at offset: Int) -> Integer {
        var value: Integer = 0
        for byte in bytes[(bytes.startIndex + offset)..<(bytes.startIndex + offset + MemoryLayout<Integer>.size)] {
            value = value << 8 | Integer(byte)
        }
        return value
    }
}
