/// What a unit counts for its reports and /metrics: every packet it drops, and why.
struct UnitCounters: Sendable {
    var packetsIn: UInt64 = 0
    var udpPacketsOut: UInt64 = 0
    var tcpPacketsOut: UInt64 = 0
    /// Writes to TCP receivers: each carries all the packets of a batch (`tcpBatchInterval`).
    var tcpWrites: UInt64 = 0
    var bytesOut: UInt64 = 0
    /// UDP messages not sent because the media socket's buffer was full (live: late is lost)...
    var udpSendsDropped: UInt64 = 0
    /// ...and those the kernel refused (a receiver's address unreachable).
    var udpSendsFailed: UInt64 = 0
    /// Datagrams that arrived on another loop's socket of the media port (`--threads`).
    var datagramsFromOtherLoops: UInt64 = 0
    /// RTP from an address that is not a bound broadcaster or parent unit.
    var droppedUnboundMedia: UInt64 = 0
    /// Datagrams or frames that are not valid RTP, bind datagrams or session messages.
    var droppedMalformed: UInt64 = 0
    /// Bind requests with an unknown session or a wrong token.
    var droppedBadBinds: UInt64 = 0
    /// Broadcaster RTP of a payload type the channel does not use.
    var droppedPayloadType: UInt64 = 0
    /// Broadcaster RTP larger than the packet cap.
    var droppedOversize: UInt64 = 0
    /// Broadcaster RTP past the channel's bitrate cap.
    var droppedOverBitrate: UInt64 = 0
    /// Broadcaster packets without a good uplink tag, of another SSRC than the stream's, or replayed.
    var droppedForgedUplink: UInt64 = 0
    /// Sessions closed for oversized frames or protocol errors.
    var sessionsRefused: UInt64 = 0
    /// Connections shed from the pool of unopened ones by newer ones.
    var unopenedShed: UInt64 = 0
    var chatLinesRelayed: UInt64 = 0
    var chatLinesRateLimited: UInt64 = 0
    var cursorOverruns: UInt64 = 0
    /// Receivers opened again that got every packet after where they left off...
    var sessionsResumed: UInt64 = 0
    /// ...and those away longer than the feed reaches back, which start at a keyframe instead.
    var resumesPastTheFeed: UInt64 = 0
}
