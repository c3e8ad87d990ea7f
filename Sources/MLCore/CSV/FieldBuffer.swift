/// The raw bytes of one column's fields, back to back: field `i` is `bytes[start(i)..<ends[i]]`.
/// Holding fields per column (rather than rows of `String`) keeps one compact copy of the data
/// and lets each column be typed on its own.
struct FieldBuffer {
    var bytes: [UInt8] = []
    var ends: [Int] = []

    var count: Int { ends.count }

    func start(_ index: Int) -> Int { index == 0 ? 0 : ends[index - 1] }

    mutating func reserve(bytes byteCount: Int, fields: Int) {
        bytes.reserveCapacity(byteCount)
        ends.reserveCapacity(fields)
    }
}
