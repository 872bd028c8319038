import Foundation

/// The result of a load run: settings, totals, per-viewer distributions, the second-by-second
/// timeline and whether the load client itself was the limit. Written as JSON and HTML.
struct LoadReport: Codable, Sendable {
    struct Settings: Codable, Sendable {
        var servers: [String]
        var channel: UInt32
        var viewers: Int
        var tcpSharePercent: Double
        var rampPerSecond: Double
        var durationSeconds: Double
    }

    var settings: Settings
    var startedAt: Date
    var joined: Int
    var failedToJoin: Int
    /// Joined but received nothing before the end (late joiners of a saturated run, or a fault).
    var silentViewers: Int
    var packetsDelivered: Int
    var packetsExpected: Int
    var deliveredPercent: Double
    /// Latency over every packet of every viewer, milliseconds.
    var latencyP50Milliseconds: Double?
    var latencyP95Milliseconds: Double?
    var latencyP99Milliseconds: Double?
    var latencyMaxMilliseconds: Double?
    /// Across viewers.
    var perViewer: [String: Distribution]
    var stalls: Int
    var modeSwitches: Int
    var rejoins: Int
    /// The viewers that joined again (their unit failed or closed the session), over the whole run.
    var rejoined: Rejoined
    var joinFailures: [String]
    var timeline: [LoadSample]
    var health: LoadClientHealth

    /// What re-joining cost: a viewer joining again says where it left off and its new unit
    /// fills the gap from its feed, so `packetsLost` is zero while the gap is shorter than the feed.
    struct Rejoined: Codable, Sendable {
        var viewers: Int
        var udpViewers: Int
        var tcpViewers: Int
        var packetsExpected: Int
        var packetsLost: Int
    }

    /// The summary table printed at the end.
    var table: String {
        var lines = [
            "viewers joined \(joined) of \(settings.viewers) (\(failedToJoin) failed, \(silentViewers) joined but received nothing), channel \(settings.channel)",
            "delivered \(packetsDelivered) of \(packetsExpected) packets: \(String(format: "%.3f", deliveredPercent))%",
            "latency over all packets: p50 \(Self.ms(latencyP50Milliseconds)), p95 \(Self.ms(latencyP95Milliseconds)), p99 \(Self.ms(latencyP99Milliseconds)), max \(Self.ms(latencyMaxMilliseconds))",
            "stalls (no media for over 1 s) \(stalls), mode switches \(modeSwitches), re-joins \(rejoins)",
            "viewers that re-joined \(rejoined.viewers) (\(rejoined.udpViewers) UDP, \(rejoined.tcpViewers) TCP): lost \(rejoined.packetsLost) of \(rejoined.packetsExpected) packets",
            "",
            "per viewer                         p50        p95        p99        max",
        ]
        for (name, key) in Self.rows {
            guard let distribution = perViewer[key] else { continue }
            let cells = [distribution.p50, distribution.p95, distribution.p99, distribution.max].map { Self.pad(String(format: "%.2f", $0), 11) }
            lines.append(Self.pad(name, 30, left: true) + cells.joined())
        }
        lines.append("")
        lines.append(health.verdict)
        if let lateArrival { lines.append(lateArrival) }
        return lines.joined(separator: "\n")
    }

    /// Arrival times are stamped by the kernel as datagrams reach the viewers' sockets, so high
    /// latency means the cluster (or the machine under it) sent them late, not that the load
    /// client read them late.
    var lateArrival: String? {
        guard let p50 = latencyP50Milliseconds, p50 > Self.lateMilliseconds else { return nil }
        return "datagrams reached the viewers' sockets late (p50 \(Self.ms(p50)) after capture, stamped by the kernel on arrival): the cluster fell behind"
    }

    static let lateMilliseconds = 200.0

    static let rows = [
        ("delivered % (viewers with media)", "deliveredPercent"), ("loss %", "lossPercent"), ("median latency ms", "medianLatencyMilliseconds"),
        ("max latency ms", "maxLatencyMilliseconds"), ("join to first keyframe ms", "startupMilliseconds"), ("stalls", "stalls"),
        ("mode switches", "modeSwitches"), ("re-joins", "rejoins"),
    ]

    static func ms(_ value: Double?) -> String { value.map { String(format: "%.1f ms", $0) } ?? "-" }

    static func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - text.count))
        return left ? text + fill : fill + text
    }
}
