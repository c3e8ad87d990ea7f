/// A request id's place in [0, 1): the same id always lands in the same place, so a retry that
/// repeats its `X-Request-ID` gets the model that answered first, and distinct ids spread evenly.
enum CanarySplit {
    static func fraction(of requestID: String) -> Double {
        // FNV-1a, then a finaliser that spreads ids differing only in their last characters.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in requestID.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
        }
        hash ^= hash >> 33
        hash = hash &* 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash = hash &* 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return Double(hash >> 11) / Double(UInt64(1) << 53)
    }
}
