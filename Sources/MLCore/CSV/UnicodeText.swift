import Foundation

/// One spelling per text: Swift's `String` equality is canonical equivalence, but bytes written
/// back out (CSV, JSON, bundles) and compared elsewhere are not, so text read from data is kept
/// in Unicode Normalization Form C.
enum UnicodeText {
    static func nfc(_ text: String) -> String {
        // ASCII is already in every normal form; most labels are.
        text.utf8.allSatisfy({ $0 < 0x80 }) ? text : text.precomposedStringWithCanonicalMapping
    }
}
