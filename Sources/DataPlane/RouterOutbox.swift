import NIOCore

/// What the unit's channel routers ask of the sockets during one batch of reads (or one timer),
/// applied once at its end by the unit: the UDP send plan of every channel, the channels whose
/// video waits to go out as one GSO message per receiver, and the counts of what was routed.
/// Writes to TCP receivers go through the receivers themselves (`TCPReceiver.write`), because a
/// write changes whether the next one fits.
package final class RouterOutbox {
    /// The batch's UDP messages. Its owner may hand it to other loops and put a new one here.
    package var udp = UDPSendPlan()
    /// Routers holding a video frame for the send plan (see `sendVideoBatches`).
    private var routersWithVideo: [ChannelRouter] = []
    /// What the routers counted since the owner last took the counts.
    package var counters = RouteCounters()

    package init() {}

    func holdsVideo(of router: ChannelRouter) {
        routersWithVideo.append(router)
    }

    /// Puts every held video frame into the plan: the read batch is over.
    package func sendVideoBatches() {
        for router in routersWithVideo { router.sendVideoBatch() }
        routersWithVideo.removeAll(keepingCapacity: true)
    }

    /// The counts since the last call, for the unit's counters.
    package func takeCounters() -> RouteCounters {
        defer { counters = RouteCounters() }
        return counters
    }
}

/// Packets and writes a router counted (the unit adds them to its own counters and metrics).
package struct RouteCounters: Equatable, Sendable {
    package var packetsIn: UInt64 = 0
    /// Packets no feed can take: not RTP, too long, or unable to carry the relay seal.
    package var droppedMalformed: UInt64 = 0
    package var tcpPacketsOut: UInt64 = 0
    package var tcpWrites: UInt64 = 0
    package var tcpBytesOut: UInt64 = 0

    package init() {}
}
