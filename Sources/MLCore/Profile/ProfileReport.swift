/// Plain-text rendering of a profile for terminals.
public enum ProfileReport {
    public static func render(_ profile: TableProfile, title: String) -> String {
        var lines: [String] = []
        var heading = "\(title): \(profile.rows) rows × \(profile.columns.count) columns, \(profile.duplicateRows) duplicate rows"
        if let target = profile.target { heading += ", target '\(target)'" }
        lines.append(heading)
        lines.append("")
        let header = ["column", "kind", "missing", "distinct", "summary", "flags"]
        var rows = profile.columns.map { column in
            [
                column.name + (column.name == profile.target ? " *" : ""),
                column.kind.rawValue,
                percent(column.missingFraction),
                String(column.distinct),
                summary(column),
                column.flags.map(\.rawValue).joined(separator: ", "),
            ]
        }
        rows.insert(header, at: 0)
        let widths = header.indices.map { index in rows.map { $0[index].count }.max() ?? 0 }
        let rightAligned: Set<Int> = [2, 3]
        for (number, row) in rows.enumerated() {
            let cells = row.enumerated().map { index, cell in
                let padding = String(repeating: " ", count: widths[index] - cell.count)
                return rightAligned.contains(index) ? padding + cell : cell + padding
            }
            lines.append(cells.joined(separator: "  ").trimmingTrailingSpaces())
            if number == 0 { lines.append(widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")) }
        }
        if let target = profile.target, let column = profile.columns.first(where: { $0.name == target }), let top = column.top {
            lines.append("")
            let total = max(1, column.count)
            lines.append("target '\(target)': " + top.map { "\($0.value) \(percent(Double($0.count) / Double(total)))" }.joined(separator: " · "))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func summary(_ column: ColumnProfile) -> String {
        switch column.kind {
        case .numeric:
            guard let min = column.min, let max = column.max, let mean = column.mean else { return "" }
            return "min \(number(min)) · max \(number(max)) · mean \(number(mean))" + (column.std.map { " · std \(number($0))" } ?? "")
        case .dateTime:
            guard let min = column.min, let max = column.max else { return "" }
            return "\(DateTimeParsing.format(min)) … \(DateTimeParsing.format(max))"
        case .categorical, .boolean:
            return (column.top ?? []).prefix(3).map { "\($0.value) (\($0.count))" }.joined(separator: " · ")
                + (column.distinct > 3 ? " …" : "")
        }
    }

    static func percent(_ fraction: Double) -> String {
        let tenths = Int((fraction * 1000).rounded())
        return "\(tenths / 10).\(tenths % 10)%"
    }

    /// Four significant digits, without exponent noise for ordinary magnitudes.
    static func number(_ value: Double) -> String {
        if value == value.rounded(), abs(value) < 1e12 { return String(Int64(value)) }
        let magnitude = abs(value)
        let decimals = magnitude >= 1000 ? 1 : magnitude >= 1 ? 3 : 4
        var scale = 1.0
        for _ in 0..<decimals { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = "\(rounded)"
        if text.contains("e") { return text }
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.hasSuffix(" ") { copy.removeLast() }
        return copy
    }
}
