#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Decimal text → Double without going through `String`. Most CSV numbers have few digits,
/// where mantissa × 10^k is exact (Clinger's fast path); anything else goes to `strtod`.
enum NumberParsing {
    @inline(__always)
    private static func powerOfTen(_ exponent: Int) -> Double {
        // Exact for 0...22; a switch-free table lookup without bounds checks.
        withUnsafeBytes(of: powers) { $0.load(fromByteOffset: exponent * 8, as: Double.self) }
    }

    private static let powers:
        (
            Double, Double, Double, Double, Double, Double, Double, Double, Double, Double, Double, Double,
            Double, Double, Double, Double, Double, Double, Double, Double, Double, Double, Double
        ) = (
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
        )

    /// Parses `bytes[start..<end]`; `decimalComma` also accepts `,` as the decimal separator.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, decimalComma: Bool) -> Double? {
        var index = start
        var end = end
        guard index < end else { return nil }
        if bytes[index] == 0x20 || bytes[end - 1] == 0x20 {
            while index < end, bytes[index] == 0x20 { index += 1 }
            while end > index, bytes[end - 1] == 0x20 { end -= 1 }
            guard index < end else { return nil }
        }
        let first = index
        var negative = false
        if bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        var mantissa: UInt64 = 0
        var digits = 0
        var significant = 0
        var exponent = 0
        var sawDigit = false
        while index < end, let digit = digitValue(bytes[index]) {
            sawDigit = true
            if significant > 0 || digit != 0 { significant += 1 }
            if significant <= 19 { mantissa = mantissa &* 10 &+ UInt64(digit) } else { exponent += 1 }
            digits += 1
            index += 1
        }
        var usedComma = false
        if index < end, bytes[index] == UInt8(ascii: ".") || (decimalComma && bytes[index] == UInt8(ascii: ",")) {
            usedComma = bytes[index] == UInt8(ascii: ",")
            index += 1
            while index < end, let digit = digitValue(bytes[index]) {
                sawDigit = true
                if significant > 0 || digit != 0 { significant += 1 }
                if significant <= 19 {
                    mantissa = mantissa &* 10 &+ UInt64(digit)
                    exponent -= 1
                }
                index += 1
            }
        }
        guard sawDigit else { return nil }
        if index < end, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            var exponentNegative = false
            if index < end, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            var value = 0
            var sawExponentDigit = false
            while index < end, let digit = digitValue(bytes[index]) {
                sawExponentDigit = true
                if value < 100_000 { value = value * 10 + digit }
                index += 1
            }
            guard sawExponentDigit else { return nil }
            exponent += exponentNegative ? -value : value
        }
        guard index == end else { return nil }
        if significant <= 15, mantissa < (1 << 53), abs(exponent) <= 22 {
            let magnitude = exponent < 0 ? Double(mantissa) / powerOfTen(-exponent) : Double(mantissa) * powerOfTen(exponent)
            return negative ? -magnitude : magnitude
        }
        return slowParse(bytes, first, end, replacingComma: usedComma)
    }

    private static func slowParse(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, replacingComma: Bool) -> Double? {
        var text = [CChar](repeating: 0, count: end - start + 1)
        for offset in 0..<(end - start) {
            let byte = bytes[start + offset]
            text[offset] = CChar(bitPattern: replacingComma && byte == UInt8(ascii: ",") ? UInt8(ascii: ".") : byte)
        }
        return text.withUnsafeBufferPointer { buffer -> Double? in
            var endPointer: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &endPointer)
            guard let endPointer, endPointer - UnsafeMutablePointer(mutating: buffer.baseAddress!) == end - start else { return nil }
            return value
        }
    }

    @inline(__always)
    private static func digitValue(_ byte: UInt8) -> Int? {
        let digit = byte &- 0x30
        return digit < 10 ? Int(digit) : nil
    }
}
