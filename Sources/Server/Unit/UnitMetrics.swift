import Metrics
import Wire

/// The unit's counters as swift-metrics (Prometheus) series, labelled with the unit id. The
/// per-packet path counts in plain integers on the unit's loop; each heartbeat adds the
/// difference here, so no atomic is touched per packet.
struct UnitMetrics {
    private let packetsIn: Counter
    private let udpPacketsOut: Counter
    private let tcpPacketsOut: Counter
    private let tcpWrites: Counter
    private let bytesOut: Counter
    private let dropped: [(Counter, KeyPath<UnitCounters, UInt64>)]
    /// Receivers opened again with a resume point, by whether the feed still reached back to it.
    private let resumes: [(Counter, KeyPath<UnitCounters, UInt64>)]
    private let sessions: Gauge
    private let channels: Gauge
    private let freeGroups: Gauge
    private var last = UnitCounters()
    /// Where each heartbeat posts the unit's health for `/health`, once the unit serves.
    var healthBoard: UnitHealthBoard?

    init(unit: UnitID) {
        _ = Observability.registry
        let dimensions = [("unit", "\(unit)")]
        packetsIn = Counter(label: "avcluster_unit_packets_in_total", dimensions: dimensions)
        udpPacketsOut = Counter(label: "avcluster_unit_udp_packets_out_total", dimensions: dimensions)
        tcpPacketsOut = Counter(label: "avcluster_unit_tcp_packets_out_total", dimensions: dimensions)
        tcpWrites = Counter(label: "avcluster_unit_tcp_writes_total", dimensions: dimensions)
        bytesOut = Counter(label: "avcluster_unit_bytes_out_total", dimensions: dimensions)
        let reasons: [(String, KeyPath<UnitCounters, UInt64>)] = [
            ("unbound_media", \.droppedUnboundMedia), ("malformed", \.droppedMalformed), ("bad_bind", \.droppedBadBinds),
            ("session_refused", \.sessionsRefused), ("unopened_shed", \.unopenedShed), ("chat_rate_limited", \.chatLinesRateLimited), ("cursor_overrun", \.cursorOverruns),
            ("payload_type", \.droppedPayloadType), ("oversize", \.droppedOversize), ("over_bitrate", \.droppedOverBitrate), ("forged_uplink", \.droppedForgedUplink),
            ("udp_send_buffer_full", \.udpSendsDropped), ("udp_send_refused", \.udpSendsFailed),
        ]
        dropped = reasons.map { reason, path in
            (Counter(label: "avcluster_unit_dropped_total", dimensions: dimensions + [("reason", reason)]), path)
        }
        resumes = [("resumed", \UnitCounters.sessionsResumed), ("past_the_feed", \UnitCounters.resumesPastTheFeed)].map { result, path in
            (Counter(label: "avcluster_unit_session_resumes_total", dimensions: dimensions + [("result", result)]), path)
        }
        sessions = Gauge(label: "avcluster_unit_sessions", dimensions: dimensions)
        channels = Gauge(label: "avcluster_unit_channels", dimensions: dimensions)
        freeGroups = Gauge(label: "avcluster_unit_free_groups", dimensions: dimensions)
    }

    /// Adds what was counted since the last call.
    mutating func publish(_ counters: UnitCounters, sessions: Int, channels: Int, freeGroups: Int) {
        packetsIn.increment(by: Int64(counters.packetsIn - last.packetsIn))
        udpPacketsOut.increment(by: Int64(counters.udpPacketsOut - last.udpPacketsOut))
        tcpPacketsOut.increment(by: Int64(counters.tcpPacketsOut - last.tcpPacketsOut))
        tcpWrites.increment(by: Int64(counters.tcpWrites - last.tcpWrites))
        bytesOut.increment(by: Int64(counters.bytesOut - last.bytesOut))
        for (counter, path) in dropped + resumes { counter.increment(by: Int64(counters[keyPath: path] - last[keyPath: path])) }
        self.sessions.record(sessions)
        self.channels.record(channels)
        self.freeGroups.record(freeGroups)
        last = counters
    }
}
