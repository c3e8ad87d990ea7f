import Crypto
import Foundation

/// Keys of the attempt store (logins, refreshes, reset requests) and reset-token digests: SHA-256
/// in hex, so neither names, addresses nor tokens are kept in the clear.
enum AttemptKey {
    static func digest(_ text: String) -> String {
        SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
