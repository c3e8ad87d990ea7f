/// A growable buffer of field offsets, appended to twice per field in the tokenizer's inner
/// loop. Unlike `Array.append` it skips the uniqueness check on every call, and 32-bit offsets
/// halve the memory (and page faults) of the largest structure the reader builds.
final class OffsetStore {
    private(set) var base: UnsafeMutablePointer<UInt32>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int = 1024) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit {
        base.deallocate()
    }

    @inline(__always)
    func append(_ start: Int, _ end: Int) {
        if count + 2 > capacity { grow(to: capacity * 2) }
        base[count] = UInt32(truncatingIfNeeded: start)
        base[count + 1] = UInt32(truncatingIfNeeded: end)
        count += 2
    }

    func reserve(_ wanted: Int) {
        if wanted > capacity { grow(to: wanted) }
    }

    private func grow(to newCapacity: Int) {
        let grown = UnsafeMutablePointer<UInt32>.allocate(capacity: newCapacity)
        grown.moveInitialize(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = newCapacity
    }

    var buffer: UnsafeBufferPointer<UInt32> { UnsafeBufferPointer(start: base, count: count) }
}
