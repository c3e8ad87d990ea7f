import CMalloc

/// The heap's allocated bytes, for what loading a model costs in memory. Process-wide, so a
/// load measured while requests run is off by what they hold at that moment: small beside a
/// model's trees, and reported as an approximation.
enum HeapUsage {
    /// Chunks in the arenas and those mapped on their own (large arrays: a model's trees).
    static func allocatedBytes() -> Int {
        let info = mallinfo2()
        return Int(info.uordblks) + Int(info.hblkhd)
    }

    static func growth(since before: Int) -> Int {
        max(0, allocatedBytes() - before)
    }
}
