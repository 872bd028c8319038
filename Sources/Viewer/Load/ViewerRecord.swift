import Client
import NIOCore
import Wire

/// What one emulated viewer saw: delivered packets and losses (from sequence numbers), latency
/// (from the capture-time extension), stalls, the time from join to the first keyframe (or first
/// media on an audio-only channel), mode switches and re-joins.
struct ViewerRecord: Sendable {
    /// No media for longer than this is a stall.
    static let stallAfter: Duration = .seconds(1)

    /// When this viewer's first join began.
    var joinStarted: ContinuousClock.Instant
    /// The wall clock at the join, to tell live packets from the fast-start backlog.
    var joinedAt = CaptureTime.now
    var mode = MediaMode.udp
    var joined: ContinuousClock.Instant?
    var firstMedia: ContinuousClock.Instant?
    var firstKeyframe: ContinuousClock.Instant?
    var lastArrival: ContinuousClock.Instant?
    var sequences = LossMeter(seconds: 1)
    var latency = LatencyHistogram()
    var latencyMaxMicroseconds: Int64 = 0
    var stalls = 0
    var stalled = false
    var modeSwitches = 0
    var rejoins = 0
    var failure: String?

    init(joinStarted: ContinuousClock.Instant) { self.joinStarted = joinStarted }

    /// A datagram that arrived at `arrival` (wall clock, for latency) or `now` (monotonic).
    mutating func received(_ buffer: ByteBuffer, arrival: CaptureTime, at now: ContinuousClock.Instant) {
        guard let packet = RTPHeaderView(buffer) else { return }
        sequences.record(ssrc: packet.ssrc, sequence: packet.sequenceNumber, second: 0)
        if firstMedia == nil { firstMedia = now }
        if firstKeyframe == nil, let codec = VideoCodec(payloadType: packet.payloadType),
            codec.startsKeyframe(buffer.readableBytesView.dropFirst(packet.payloadOffset))
        {
            firstKeyframe = now
        }
        lastArrival = now
        stalled = false
        // Latency of live packets only: the video a new viewer gets first (from the last keyframe,
        // for a fast start) was captured before it joined and is old by design.
        if let capture = packet.captureTime, capture >= joinedAt {
            let age = max(0, capture.age(at: arrival))
            latency.record(microseconds: age)
            latencyMaxMicroseconds = max(latencyMaxMicroseconds, age)
        }
    }

    /// Counts a stall once when media stopped for longer than `stallAfter`.
    mutating func checkStall(at now: ContinuousClock.Instant) {
        guard let last = lastArrival, !stalled, now - last > Self.stallAfter else { return }
        stalled = true
        stalls += 1
    }

    /// Join to first keyframe, or to first media when the channel sends no video.
    var startupMilliseconds: Double? {
        guard let first = firstKeyframe ?? firstMedia else { return nil }
        return (first - joinStarted).seconds * 1000
    }

    var delivered: (received: Int, expected: Int) { (sequences.totalReceived, sequences.totalExpected) }
}
