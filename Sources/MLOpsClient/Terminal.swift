import Foundation

/// Where the client writes: results to standard output, progress and errors to standard error.
/// Progress bars only on a terminal; anything a server sent is stripped of control characters
/// before it is printed, so logs of non-interactive runs stay plain text.
public struct Terminal: Sendable {
    public var isInteractive: Bool

    public init(isInteractive: Bool = isatty(STDERR_FILENO) == 1) {
        self.isInteractive = isInteractive
    }

    public func output(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    public func status(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Rewrites the current line (terminal only).
    func progress(_ line: String) {
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
    }

    func endProgress() {
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }

    public static func plain(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F && !(0x80..<0xA0).contains($0.value) }))
    }

    /// Columns aligned on the widest cell; numbers right-aligned.
    public static func table(_ header: [String], _ rows: [[String]]) -> String {
        let cells = ([header] + rows).map { $0.map(plain) }
        let widths = header.indices.map { column in cells.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        func numeric(_ text: String) -> Bool { Double(text) != nil || text.hasSuffix("%") && Double(text.dropLast()) != nil }
        return cells.map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return numeric(cell) ? pad + cell : cell + pad
            }.joined(separator: "  ").trailingSpacesTrimmed
        }.joined(separator: "\n")
    }

    /// A time as the server writes it (ISO 8601, UTC, to the second).
    public static func timestamp(_ date: Date?) -> String {
        date.map { $0.formatted(.iso8601) } ?? ""
    }

    /// A metric as people read it: four decimals, or an integer.
    public static func number(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "–" }
        if value == value.rounded(), abs(value) < 1e12 { return String(Int64(value)) }
        return String(format: "%.4f", value)
    }
}

extension String {
    var trailingSpacesTrimmed: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
