import Foundation
import Kernel

/// Dataset names are labels, never paths: letters, digits, `.`, `_`, `-`, starting with a
/// letter or digit, at most 100 characters.
enum DatasetName {
    static let maximumLength = 100

    static func validated(_ name: String) throws -> String {
        guard !name.isEmpty else { throw APIError.validation(field: "name", problem: "must not be empty") }
        guard name.count <= maximumLength else {
            throw APIError.validation(field: "name", problem: "at most \(maximumLength) characters")
        }
        guard isAllowed(name) else {
            throw APIError.validation(
                field: "name",
                problem: "use letters, digits, '.', '_' and '-' only, starting with a letter or digit (no paths)"
            )
        }
        return name
    }

    /// A usable name from an uploaded file's name (`My data (2).csv` → `My_data_2`).
    static func derived(fromFileName fileName: String?) -> String {
        guard let fileName else { return "dataset" }
        let base = fileName.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        let stem = base.lowercased().hasSuffix(".csv") ? String(base.dropLast(4)) : base
        var cleaned = String(stem.unicodeScalars.map { allowedScalar($0) ? Character($0) : "_" })
        while cleaned.contains("__") { cleaned = cleaned.replacingOccurrences(of: "__", with: "_") }
        cleaned = String(cleaned.drop { !$0.isLetter && !$0.isNumber }.prefix(maximumLength))
        while cleaned.hasSuffix("_") { cleaned.removeLast() }
        return cleaned.isEmpty || !isAllowed(cleaned) ? "dataset" : cleaned
    }

    private static func isAllowed(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCII, CharacterSet.alphanumerics.contains(first) else { return false }
        return name.unicodeScalars.allSatisfy(allowedScalar) && !name.contains("..")
    }

    private static func allowedScalar(_ scalar: Unicode.Scalar) -> Bool {
        scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "." || scalar == "_" || scalar == "-")
    }
}
