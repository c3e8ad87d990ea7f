/// RFC 4648 base64url without padding, for lengths that are multiples of 3 bytes.
enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let values: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, character) in alphabet.enumerated() { table[Int(character)] = UInt8(index) }
        return table
    }()

    static func encode(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: bytes.count / 3 * 4) { output in
            var written = 0
            var index = 0
            while index + 2 < bytes.count {
                let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
                for shift in [18, 12, 6, 0] {
                    output[written] = alphabet[Int(chunk >> UInt32(shift) & 0x3F)]
                    written += 1
                }
                index += 3
            }
            return written
        }
    }

    static func decode(_ text: String) -> [UInt8]? {
        let characters = Array(text.utf8)
        guard characters.count % 4 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity(characters.count / 4 * 3)
        var index = 0
        while index < characters.count {
            var chunk: UInt32 = 0
            for offset in 0..<4 {
                let value = values[Int(characters[index + offset])]
                guard value != 0xFF else { return nil }
                chunk = chunk << 6 | UInt32(value)
            }
            bytes.append(UInt8(chunk >> 16 & 0xFF))
            bytes.append(UInt8(chunk >> 8 & 0xFF))
            bytes.append(UInt8(chunk & 0xFF))
            index += 4
        }
        return bytes
    }
}
