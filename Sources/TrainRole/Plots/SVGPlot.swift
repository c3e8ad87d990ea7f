import Foundation

/// The run plots, as standalone SVG (no fonts or scripts to fetch): confusion matrix and ROC
/// curve for classification, residuals for regression, feature importance for both.
enum SVGPlot {
    static let width = 480.0
    static let height = 400.0
    static let margin = (left: 70.0, right: 20.0, top: 40.0, bottom: 60.0)

    static func confusionMatrix(truth: [Int], predicted: [Int], labels: [String]) -> String {
        let k = labels.count
        var counts = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for (actual, guess) in zip(truth, predicted) where actual < k && guess >= 0 && guess < k { counts[actual][guess] += 1 }
        let largest = max(counts.joined().max() ?? 1, 1)
        let side = min(plotWidth, plotHeight) / Double(max(k, 1))
        var body = ""
        for row in 0..<k {
            for column in 0..<k {
                let x = margin.left + Double(column) * side
                let y = margin.top + Double(row) * side
                let shade = Double(counts[row][column]) / Double(largest)
                body += rect(x, y, side, side, fill: "rgba(31,119,180,\(format(0.08 + 0.92 * shade)))", stroke: "#fff")
                body += text(x + side / 2, y + side / 2 + 5, "\(counts[row][column])", anchor: "middle", fill: shade > 0.55 ? "#fff" : "#222")
            }
            body += text(margin.left - 6, margin.top + (Double(row) + 0.5) * side + 4, labels[row], anchor: "end")
            body += text(margin.left + (Double(row) + 0.5) * side, margin.top + Double(k) * side + 16, labels[row], anchor: "middle")
        }
        body += text(margin.left + Double(k) * side / 2, margin.top + Double(k) * side + 36, "predicted", anchor: "middle")
        body += text(16, margin.top + Double(k) * side / 2, "actual", anchor: "middle", rotate: true)
        return document(title: "Confusion matrix (held-out rows)", body: body)
    }

    /// ROC of a binary classifier: true-positive against false-positive rate over every threshold.
    static func rocCurve(truth: [Bool], scores: [Double], auc: Double?) -> String {
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        let positives = Double(truth.filter { $0 }.count)
        let negatives = Double(truth.count) - positives
        var points = [(0.0, 0.0)]
        var truePositives = 0.0
        var falsePositives = 0.0
        for (position, index) in order.enumerated() {
            if truth[index] { truePositives += 1 } else { falsePositives += 1 }
            // One point per distinct score: ties move diagonally, as they should.
            if position + 1 == order.count || scores[order[position + 1]] != scores[index] {
                points.append((negatives > 0 ? falsePositives / negatives : 0, positives > 0 ? truePositives / positives : 0))
            }
        }
        var body = axes(xLabel: "false positive rate", yLabel: "true positive rate", xRange: (0, 1), yRange: (0, 1))
        body += line([(0, 0), (1, 1)].map { project($0, $1, (0, 1), (0, 1)) }, stroke: "#999", dashed: true)
        body += line(points.map { project($0.0, $0.1, (0, 1), (0, 1)) }, stroke: "#1f77b4")
        let title = "ROC curve" + (auc.map { " (AUC \(format($0)))" } ?? "")
        return document(title: title, body: body)
    }

    /// Residual (actual − predicted) against predicted value for a regression model.
    static func residuals(truth: [Double], predicted: [Double]) -> String {
        let residuals = zip(truth, predicted).map { $0 - $1 }
        let shown = sample(Array(zip(predicted, residuals)), limit: 2000)
        let xRange = padded(shown.map(\.0))
        let bound = max(shown.map { abs($0.1) }.max() ?? 1, 1e-9)
        let yRange = (-bound * 1.05, bound * 1.05)
        var body = axes(xLabel: "predicted", yLabel: "actual − predicted", xRange: xRange, yRange: yRange)
        body += line([project(xRange.0, 0, xRange, yRange), project(xRange.1, 0, xRange, yRange)], stroke: "#999", dashed: true)
        for (x, y) in shown {
            let point = project(x, y, xRange, yRange)
            body += "<circle cx=\"\(format(point.0))\" cy=\"\(format(point.1))\" r=\"2\" fill=\"rgba(31,119,180,0.45)\"/>"
        }
        return document(title: "Residuals (held-out rows)", body: body)
    }

    /// The largest importances as horizontal bars, largest first.
    static func featureImportance(_ importances: [(name: String, importance: Double)], top: Int = 20) -> String {
        let shown = importances.filter { $0.importance.isFinite }.sorted { $0.importance > $1.importance }.prefix(top)
        let largest = max(shown.first?.importance ?? 1, 1e-12)
        let barHeight = plotHeight / Double(max(shown.count, 1))
        let left = margin.left + 90
        var body = ""
        for (index, item) in shown.enumerated() {
            let y = margin.top + Double(index) * barHeight
            let length = (width - margin.right - left) * item.importance / largest
            body += rect(left, y + 2, max(length, 0.5), max(barHeight - 4, 1), fill: "#1f77b4", stroke: "none")
            body += text(left - 6, y + barHeight / 2 + 4, String(item.name.prefix(24)), anchor: "end")
        }
        return document(title: "Feature importance (top \(shown.count))", body: body)
    }

    // MARK: - Drawing

    private static var plotWidth: Double { width - margin.left - margin.right }
    private static var plotHeight: Double { height - margin.top - margin.bottom }

    private static func document(title: String, body: String) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="11">
        <rect width="100%" height="100%" fill="#fff"/>
        \(text(width / 2, 22, title, anchor: "middle", size: 14))
        \(body)
        </svg>

        """
    }

    private static func axes(xLabel: String, yLabel: String, xRange: (Double, Double), yRange: (Double, Double)) -> String {
        let bottom = margin.top + plotHeight
        var body = line([(margin.left, margin.top), (margin.left, bottom), (margin.left + plotWidth, bottom)], stroke: "#333")
        for step in 0...4 {
            let fraction = Double(step) / 4
            let x = margin.left + fraction * plotWidth
            let y = bottom - fraction * plotHeight
            body += text(x, bottom + 16, format(xRange.0 + fraction * (xRange.1 - xRange.0)), anchor: "middle")
            body += text(margin.left - 6, y + 4, format(yRange.0 + fraction * (yRange.1 - yRange.0)), anchor: "end")
        }
        body += text(margin.left + plotWidth / 2, bottom + 40, xLabel, anchor: "middle")
        body += text(16, margin.top + plotHeight / 2, yLabel, anchor: "middle", rotate: true)
        return body
    }

    private static func project(_ x: Double, _ y: Double, _ xRange: (Double, Double), _ yRange: (Double, Double)) -> (Double, Double) {
        let xSpan = xRange.1 - xRange.0
        let ySpan = yRange.1 - yRange.0
        return (
            margin.left + (xSpan > 0 ? (x - xRange.0) / xSpan : 0.5) * plotWidth,
            margin.top + plotHeight - (ySpan > 0 ? (y - yRange.0) / ySpan : 0.5) * plotHeight
        )
    }

    private static func padded(_ values: [Double]) -> (Double, Double) {
        guard let low = values.min(), let high = values.max() else { return (0, 1) }
        let pad = max((high - low) * 0.05, 1e-9)
        return (low - pad, high + pad)
    }

    /// Every n-th point when there are too many to draw usefully.
    private static func sample<T>(_ points: [T], limit: Int) -> [T] {
        guard points.count > limit else { return points }
        let stride = Double(points.count) / Double(limit)
        return (0..<limit).map { points[Int(Double($0) * stride)] }
    }

    private static func line(_ points: [(Double, Double)], stroke: String, dashed: Bool = false) -> String {
        let coordinates = points.map { "\(format($0.0)),\(format($0.1))" }.joined(separator: " ")
        return "<polyline points=\"\(coordinates)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"1.5\"\(dashed ? " stroke-dasharray=\"4 3\"" : "")/>"
    }

    private static func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String, stroke: String) -> String {
        "<rect x=\"\(format(x))\" y=\"\(format(y))\" width=\"\(format(w))\" height=\"\(format(h))\" fill=\"\(fill)\" stroke=\"\(stroke)\"/>"
    }

    private static func text(_ x: Double, _ y: Double, _ content: String, anchor: String, fill: String = "#222", size: Int? = nil, rotate: Bool = false)
        -> String
    {
        let transform = rotate ? " transform=\"rotate(-90 \(format(x)) \(format(y)))\"" : ""
        let fontSize = size.map { " font-size=\"\($0)\"" } ?? ""
        return "<text x=\"\(format(x))\" y=\"\(format(y))\" text-anchor=\"\(anchor)\" fill=\"\(fill)\"\(fontSize)\(transform)>\(escape(content))</text>"
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 1000).rounded() / 1000
        return rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int(rounded)) : String(rounded)
    }
}
