import Media
import Wire

/// The broadcaster's status line: frame rate, video and audio bit rates, a level meter, the
/// transport, the viewers, and any trouble in plain words.
struct StatusLine {
    private var last: BroadcastStats.Counters
    private var lastTime = ContinuousClock.now

    init(stats: BroadcastStats) { last = stats.snapshot }

    mutating func render(channel: ChannelID, stats: BroadcastStats, uplink: Uplink, hasVideo: Bool, hasAudio: Bool) -> String {
        let now = ContinuousClock.now
        let counters = stats.snapshot
        let seconds = max(0.001, Double((now - lastTime).components.attoseconds) / 1e18 + Double((now - lastTime).components.seconds))
        defer {
            last = counters
            lastTime = now
        }
        let status = uplink.status
        var parts = ["ch \(channel)", status.connected ? "● LIVE" : "○ OFF AIR"]
        if hasVideo {
            parts.append("\(Self.decimal(Double(counters.videoFrames - last.videoFrames) / seconds)) fps")
            parts.append("video \(Int(Double(counters.videoBytes - last.videoBytes) * 8 / 1000 / seconds)) kbit/s")
        }
        if hasAudio {
            parts.append("audio \(Int(Double(counters.audioBytes - last.audioBytes) * 8 / 1000 / seconds)) kbit/s")
            parts.append("\(counters.audioLevel.meter(width: 10)) \(Int(counters.audioLevel.peakDecibels.rounded())) dB")
        }
        parts.append(status.mode == .udp ? "UDP" : "TCP")
        parts.append("\(status.viewers) viewer\(status.viewers == 1 ? "" : "s")")
        if let trouble = status.trouble { parts.append("! \(trouble)") }
        return parts.joined(separator: "  ")
    }

    static func decimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
