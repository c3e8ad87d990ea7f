import CZlib

/// zlib's one-shot deflate, for the body of a compact bundle. Inflating trusts nothing it reads:
/// the caller says how long the result must be (and bounds that), and anything else is refused.
enum Deflate {
    static func compress(_ bytes: [UInt8]) -> [UInt8] {
        var length = compressBound(uLong(bytes.count))
        var output = [UInt8](repeating: 0, count: Int(length))
        let status = output.withUnsafeMutableBufferPointer { output in
            bytes.withUnsafeBufferPointer { input in
                compress2(output.baseAddress, &length, input.baseAddress, uLong(input.count), Z_DEFAULT_COMPRESSION)
            }
        }
        // compressBound is an upper bound for any input, so only memory exhaustion could fail here.
        precondition(status == Z_OK, "deflate failed with status \(status)")
        output.removeSubrange(Int(length)...)
        return output
    }

    static func decompress(_ bytes: ArraySlice<UInt8>, length expected: Int) throws(BundleInconsistency) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: expected)
        var length = uLong(expected)
        let status = output.withUnsafeMutableBufferPointer { output in
            bytes.withUnsafeBufferPointer { input in
                uncompress(output.baseAddress, &length, input.baseAddress, uLong(input.count))
            }
        }
        guard status == Z_OK, length == uLong(expected) else {
            throw BundleInconsistency("compact bundle: the compressed body is damaged or not \(expected) bytes long (zlib status \(status))")
        }
        return output
    }
}
