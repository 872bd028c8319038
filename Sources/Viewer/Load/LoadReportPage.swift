import Foundation

/// The HTML report: the summary table and two SVG charts (latency p50/p99 and delivered packets
/// per second over the run). One self-contained file, no scripts.
enum LoadReportPage {
    static func html(_ report: LoadReport) -> String {
        let latency = chart(
            title: "Latency (ms) per second: p50 and p99", unit: "ms",
            series: [
                ("p50", "#2a7ab0", report.timeline.map { ($0.second, $0.latencyP50Milliseconds) }),
                ("p99", "#d0502a", report.timeline.map { ($0.second, $0.latencyP99Milliseconds) }),
            ])
        let delivered = chart(
            title: "Packets delivered per second (all viewers), and viewers joined", unit: "",
            series: [
                ("packets/s", "#3a9a4a", report.timeline.map { ($0.second, Double($0.packets)) }),
                ("viewers", "#888888", report.timeline.map { ($0.second, Double($0.joined)) }),
            ])
        return """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>Load test: channel \(report.settings.channel), \(report.settings.viewers) viewers</title>
            <style>body{font-family:system-ui,sans-serif;margin:2em;max-width:960px}pre{background:#f4f4f4;padding:1em;overflow-x:auto}
            svg{background:#fff;border:1px solid #ddd;margin:1em 0}</style></head><body>
            <h1>Load test: channel \(report.settings.channel), \(report.settings.viewers) viewers</h1>
            <p>Started \(escape(ISO8601DateFormatter().string(from: report.startedAt))); servers \(escape(report.settings.servers.joined(separator: ", "))); \
            TCP share \(report.settings.tcpSharePercent)%; ramp \(report.settings.rampPerSecond)/s; measured \(report.settings.durationSeconds) s.</p>
            <pre>\(escape(report.table))</pre>
            \(latency)
            \(delivered)
            </body></html>

            """
    }

    /// A line chart of some series over seconds.
    static func chart(title: String, unit: String, series: [(String, String, [(Int, Double?)])]) -> String {
        let width = 900.0, height = 260.0, left = 60.0, bottom = 30.0, top = 30.0
        let points = series.flatMap { $0.2 }
        let maxX = Double(max(1, points.map(\.0).max() ?? 1))
        let maxY = max(1, points.compactMap(\.1).max() ?? 1) * 1.1
        func x(_ second: Int) -> Double { left + Double(second) / maxX * (width - left - 10) }
        func y(_ value: Double) -> Double { height - bottom - value / maxY * (height - bottom - top) }
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" viewBox=\"0 0 \(Int(width)) \(Int(height))\">"
        svg += "<text x=\"\(left)\" y=\"18\" font-size=\"14\">\(escape(title))</text>"
        for step in 0...4 {
            let value = maxY * Double(step) / 4
            svg += "<line x1=\"\(left)\" x2=\"\(width - 10)\" y1=\"\(y(value))\" y2=\"\(y(value))\" stroke=\"#eee\"/>"
            svg += "<text x=\"\(left - 6)\" y=\"\(y(value) + 4)\" font-size=\"11\" text-anchor=\"end\">\(format(value))\(unit.isEmpty ? "" : "")</text>"
        }
        svg += "<text x=\"\(width - 10)\" y=\"\(height - 8)\" font-size=\"11\" text-anchor=\"end\">\(Int(maxX)) s</text>"
        for (index, (name, colour, values)) in series.enumerated() {
            let path = values.compactMap { second, value in value.map { "\(format(x(second))),\(format(y($0)))" } }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(path)\"/>"
            svg += "<text x=\"\(left + 10 + Double(index) * 110)\" y=\"\(height - 8)\" font-size=\"12\" fill=\"\(colour)\">■ \(escape(name))</text>"
        }
        return svg + "</svg>"
    }

    static func format(_ value: Double) -> String { String(format: value < 10 ? "%.2f" : "%.0f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
