struct FieldLayout {
    let columns: Int
    let rows: Int
}

/// One column's fields inside the file's bytes. Offsets are stored row-major as (start, end)
/// pairs: field (row, column) is `bytes[offsets[k]..<offsets[k + 1]]` with k = 2 × (row × columns + column).
/// The bytes are read once into one buffer and no field is copied.
struct FieldSpans {
    let bytes: UnsafeBufferPointer<UInt8>
    let offsets: UnsafeBufferPointer<UInt32>
    let layout: FieldLayout
    let column: Int

    var count: Int { layout.rows }

    @inline(__always)
    func start(_ row: Int) -> Int { Int(offsets[2 * (row * layout.columns + column)]) }

    @inline(__always)
    func end(_ row: Int) -> Int { Int(offsets[2 * (row * layout.columns + column) + 1]) }
}
