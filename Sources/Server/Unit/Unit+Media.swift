import DataPlane
import NIOCore
import Wire

extension Unit {
    /// A datagram on the unit's media port: a bind, or RTP from a bound broadcaster.
    func udpDatagram(_ datagram: ByteBuffer, from address: SocketAddress) {
        guard let first = datagram.getInteger(at: datagram.readerIndex, as: UInt8.self) else {
            counters.droppedMalformed += 1
            return
        }
        if BindDatagram.isBindDatagram(firstByte: first) {
            bind(datagram, from: address)
        } else if first & 0xC0 == 0x80 {
            guard let id = udpBindings.session(at: address), let session = sessions[id], session.role == .broadcaster,
                let channelID = session.channel, let channel = channels[channelID], channel.broadcaster == id
            else {
                counters.droppedUnboundMedia += 1
                return
            }
            // Proof of the session first: a forged packet spends no budget and reaches no feed.
            guard let packet = session.uplinkTag?.verified(datagram) else {
                counters.droppedForgedUplink += 1
                return
            }
            if admitFromBroadcaster(packet, in: channel) { ingest(packet, into: channel) }
        } else {
            counters.droppedMalformed += 1
        }
    }

    /// Checks a bind request. One that proves its session but not yet its address gets a
    /// challenge (a fresh cookie, in a reply smaller than the request) and nothing else; one that
    /// echoes a good cookie from the same address starts (or renews) media there.
    private func bind(_ datagram: ByteBuffer, from address: SocketAddress) {
        guard case .request(let id, let token, let cookie) = try? BindDatagram(parsing: datagram), let session = sessions[id],
            session.phase == .open, session.bindToken.matches(token), let channelID = session.channel,
            let channel = channels[channelID]
        else {
            counters.droppedBadBinds += 1
            return
        }
        let now = clock.wallMilliseconds()
        let fresh = udpBindings.cookies.cookie(session: id, address: address, nowMilliseconds: now)
        guard udpBindings.cookies.check(cookie, session: id, address: address, nowMilliseconds: now) else {
            writeBindReply(.reply(session: id, cookie: fresh, bound: false), to: address)
            return
        }
        let heard = clock.deadline()
        session.lastHeard = heard
        switch udpBindings.bind(id, at: address, now: heard) {
        case .taken:
            counters.droppedBadBinds += 1
            return
        case .renewed: break
        case .moved: apply(session.life.bound(moved: true), to: session)
        }
        writeBindReply(.reply(session: id, cookie: fresh, bound: true), to: address)
    }

    private func writeBindReply(_ reply: BindDatagram, to address: SocketAddress) {
        output.writeDatagram(reply.encoded(allocator: ByteBufferAllocator()), to: address)
    }

    /// RTP over a session: from a broadcaster in TCP mode.
    func mediaFromSession(_ packet: ByteBuffer, on session: UnitSession) {
        guard session.role == .broadcaster, let channelID = session.channel, let channel = channels[channelID],
            channel.broadcaster == session.id
        else {
            counters.droppedUnboundMedia += 1
            return
        }
        if admitFromBroadcaster(packet, in: channel) { ingest(packet, into: channel) }
    }

    /// Checks an authenticated packet of the broadcaster's: its form, then that it is of the
    /// channel's stream (its SSRCs, no replay), then the channel's bitrate budget; counts what it
    /// drops. Only the stream's own packets spend the budget.
    private func admitFromBroadcaster(_ packet: ByteBuffer, in channel: LocalChannel) -> Bool {
        var verdict = channel.uplink.checkForm(packet)
        if verdict == .accept, let header = RTPHeaderView(packet) {
            guard channel.uplinkGuard.check(ssrc: header.ssrc, payloadType: header.payloadType, sequence: header.sequenceNumber) == .accept else {
                counters.droppedForgedUplink += 1
                return false
            }
            verdict = channel.uplink.spend(packet, now: clock.deadline())
        }
        switch verdict {
        case .accept: return true
        case .wrongPayloadType: counters.droppedPayloadType += 1
        case .tooLarge: counters.droppedOversize += 1
        case .overBitrate: counters.droppedOverBitrate += 1
        }
        return false
    }

    /// Routes a packet of the channel (`ChannelRouter.ingest`), then does what it asks: the TCP
    /// batch's timer, and the receivers whose resume wait it ended.
    func ingest(_ packet: ByteBuffer, into channel: LocalChannel) {
        guard let routed = channel.router.ingest(packet, now: clock.deadline()) else { return }
        switch routed.timer {
        case .unchanged: break
        case .cancel:
            channel.tcpBatchTimer?.cancel()
            channel.tcpBatchTimer = nil
        case .schedule(let due): scheduleTCPBatch(of: channel, at: due)
        }
        if !routed.endedWaits.isEmpty { endResumeWaits(routed.endedWaits) }
    }

    /// TCP receivers are written to at the end of each video frame (or with the audio packet due
    /// just after it), or `tcpBatchInterval` after a packet came, whichever is first
    /// (`ChannelRouter.BatchTimer`): what arrived in between goes out in one write each, so
    /// writes are few and large (one a frame).
    func scheduleTCPBatch(of channel: LocalChannel, at due: NIODeadline) {
        channel.tcpBatchTimer?.cancel()
        channel.tcpBatchTimer = eventLoop.assumeIsolated().scheduleTask(deadline: due) { [weak self, weak channel] in
            guard let self, let channel else { return }
            self.load.timerRan(late: self.clock.deadline() - due)
            channel.tcpBatchTimer = nil
            channel.router.sendTCPBatch(now: self.clock.deadline())
            self.flushMedia()
        }
    }

    /// The parent unit cut this unit's relay link to audio only (it fell too far behind), or gave
    /// its video back: every viewer here is told why its picture stops or comes back.
    func upstreamVideoSkipped(_ skipped: Bool, reason: String, in channel: LocalChannel) {
        record(.modeSwitched, channel: channel.id, skipped ? "video stops upstream: \(reason)" : "video comes back upstream: \(reason)")
        for id in slots(of: channel.id).flatMap({ groups[$0].sessions }) {
            if let session = sessions[id], session.role == .viewer { send(.videoSkipped(skipped, reason: reason), to: session) }
        }
    }

    /// Asks the channel's broadcaster (or parent unit) for a keyframe, at most once a second
    /// unless forced.
    func requestKeyframe(for channelID: ChannelID, reason: String, force: Bool) {
        guard let channel = channels[channelID] else { return }
        let now = clock.deadline()
        guard force || now - channel.lastKeyframeRequest > .seconds(1) else { return }
        channel.lastKeyframeRequest = now
        if let id = channel.broadcaster, let broadcaster = sessions[id] {
            send(.keyframeRequest(reason: reason), to: broadcaster)
        } else {
            channel.parentLink?.requestKeyframe(reason: reason)
        }
        record(.keyframeRequested, channel: channelID, "keyframe requested: \(reason)")
    }
}
