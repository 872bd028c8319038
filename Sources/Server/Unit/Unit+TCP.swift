import DataPlane
import NIOCore
import Wire

extension Unit {
    /// Gives a TCP receiver its cursor: from where it left off, or the newest keyframe with audio
    /// included (nothing still in the buffer is missed); then writes what it can take.
    func startTCP(_ session: UnitSession, in channel: LocalChannel) {
        let threshold = session.role == .relay ? configuration.relayLagThreshold : configuration.lagThreshold
        let cursor: FeedCursor
        switch resumption(of: session, in: channel, lagThreshold: threshold) {
        case .waiting: return
        case .resumed(let resumed): cursor = resumed
        case .fresh: cursor = FeedCursor(resumingIn: channel.feed, lagThreshold: threshold)
        }
        channel.router.startTCP(session, from: cursor)
    }

    /// TCP receivers are written to at the end of each video frame (or with the audio packet due
    /// just after it), or `tcpBatchInterval` after a packet came, whichever is first
    /// (`ChannelRouter.BatchTimer`): what arrived in between goes out in one write each, so
    /// writes are few and large (one a frame).
    func scheduleTCPBatch(of channel: LocalChannel, at due: NIODeadline) {
        channel.tcpBatchTimer?.cancel()
        channel.tcpBatchTimer = eventLoop.assumeIsolated().scheduleTask(deadline: due) { [weak self, weak channel] in
            guard let self, let channel else { return }
            self.load.timerRan(late: .now() - due)
            channel.tcpBatchTimer = nil
            channel.router.sendTCPBatch(now: .now())
            self.flushMedia()
        }
    }
}
