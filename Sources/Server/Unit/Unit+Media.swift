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
            guard let id = udpBindings[address], let session = sessions[id], session.role == .broadcaster,
                let channelID = session.channel, let channel = channels[channelID], channel.broadcaster == id
            else {
                counters.droppedUnboundMedia += 1
                return
            }
            if admitFromBroadcaster(datagram, in: channel) { ingest(datagram, into: channel) }
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
        let now = wallClock()
        let fresh = cookieSigner.cookie(session: id, address: address, nowMilliseconds: now)
        guard cookieSigner.check(cookie, session: id, address: address, nowMilliseconds: now) else {
            writeBindReply(.reply(session: id, cookie: fresh, bound: false), to: address)
            return
        }
        session.lastBind = .now()
        session.lastHeard = session.lastBind!
        if session.udpAddress != address {
            if let other = udpBindings[address], other != id { counters.droppedBadBinds += 1; return }
            if let old = session.udpAddress, udpBindings[old] == id { udpBindings[old] = nil }
            session.udpAddress = address
            udpBindings[address] = id
            if session.role == .broadcaster { channel.broadcasterAddress = address }
            if session.receivesMedia && session.mode == .udp { startUDP(session, in: channel) }
        }
        writeBindReply(.reply(session: id, cookie: fresh, bound: true), to: address)
    }

    private func writeBindReply(_ reply: BindDatagram, to address: SocketAddress) {
        mediaChannel?.write(AddressedEnvelope(remoteAddress: address, data: reply.encoded(allocator: allocator)), promise: nil)
        mediaNeedsFlush = true
    }

    /// Adds a bound UDP receiver to the fan-out, sending it first the video since the last
    /// keyframe, or all it missed when it resumes.
    private func startUDP(_ session: UnitSession, in channel: LocalChannel) {
        guard let address = session.udpAddress else { return }
        sendVideoBatch(of: channel)  // what is batched is in the feed too: send it before the backlog
        var cursor: FeedCursor
        switch resumption(of: session, in: channel, lagThreshold: Int.max / 2) {
        case .waiting: return
        case .resumed(let resumed): cursor = resumed
        case .fresh: cursor = FeedCursor(joining: channel.feed, lagThreshold: Int.max / 2)
        }
        var notices: [FeedCursor.Notice] = []
        while let entry = cursor.next(in: channel.feed, notices: &notices) {
            writeUDP(entry.datagram, to: address)
        }
        channel.fanOut.addUDP(session.id, at: address, awaitingKeyframe: cursor.video != .flowing)
        if cursor.video != .flowing { requestKeyframe(for: channel.id, reason: "a viewer joined before any keyframe", force: false) }
    }

    /// Where a receiver's media starts.
    private enum Resumption {
        /// After where it left off.
        case resumed(FeedCursor)
        /// Not yet: the feed here has not caught up with where it left off.
        case waiting
        /// As a new viewer does (no resume point, or the feed no longer reaches back to it).
        case fresh
    }

    private func resumption(of session: UnitSession, in channel: LocalChannel, lagThreshold: Int) -> Resumption {
        guard let point = session.resume else { return .fresh }
        if let cursor = FeedCursor(resuming: point, in: channel.feed, lagThreshold: lagThreshold) {
            session.resume = nil
            counters.sessionsResumed += 1
            record(.sessionResumed, channel: channel.id, group: session.group, session: session.id,
                "\(session.peerName) resumes where it left off, \(cursor.lag(in: channel.feed)) packets behind live")
            return .resumed(cursor)
        }
        if ResumeWait.feedIsBehind(channel.feed, point) {
            channel.fanOut.wait(ResumeWait(session: session.id, point: point, now: .now()))
            return .waiting
        }
        session.resume = nil
        counters.resumesPastTheFeed += 1
        record(.sessionResumed, channel: channel.id, group: session.group, session: session.id,
            "\(session.peerName) was away longer than the feed holds (\(channel.feed.capacity) packets): it starts at a keyframe")
        return .fresh
    }

    /// Starts the media of receivers whose wait is over: the feed reached where they left off
    /// (with the packet just appended), or it did not in time and they start afresh.
    private func endResumeWaits(of channel: LocalChannel, after entry: FeedEntry) {
        for (id, timedOut) in channel.fanOut.endWaits(afterPacketOf: entry.ssrc, sequence: entry.sequenceNumber, now: .now()) {
            guard let session = sessions[id], session.phase == .open else { continue }
            if timedOut {
                session.resume = nil
                counters.resumesPastTheFeed += 1
                record(.sessionResumed, channel: channel.id, group: session.group, session: session.id,
                    "the feed here did not reach where \(session.peerName) left off within \(ResumeWait.longest): it starts at a keyframe")
            }
            switch session.mode {
            case .udp: startUDP(session, in: channel)
            case .tcp: startTCP(session, in: channel)
            }
        }
    }

    /// Gives a TCP receiver its cursor: from where it left off, or the newest keyframe with audio
    /// included (nothing still in the buffer is missed); then writes what it can take.
    private func startTCP(_ session: UnitSession, in channel: LocalChannel) {
        switch resumption(of: session, in: channel, lagThreshold: configuration.lagThreshold) {
        case .waiting: return
        case .resumed(let cursor): session.cursor = cursor
        case .fresh: session.cursor = FeedCursor(resumingIn: channel.feed, lagThreshold: configuration.lagThreshold)
        }
        channel.fanOut.addTCP(session.id)
        pump(session, in: channel)
    }

    private func writeUDP(_ datagram: ByteBuffer, to address: SocketAddress) {
        counters.udpPacketsOut += 1
        counters.bytesOut += UInt64(datagram.readableBytes)
        mediaChannel?.write(AddressedEnvelope(remoteAddress: address, data: datagram), promise: nil)
        mediaNeedsFlush = true
    }

    /// One datagram (or GSO message of `segments` datagrams) to every receiver in `receivers`;
    /// the counters add up once for all of them.
    private func sendUDP(_ data: ByteBuffer, segments: Int = 1, metadata: AddressedEnvelope<ByteBuffer>.Metadata? = nil, to receivers: [ChannelFanOut.UDPReceiver]) {
        guard !receivers.isEmpty, let mediaChannel else { return }
        for receiver in receivers {
            mediaChannel.write(AddressedEnvelope(remoteAddress: receiver.address, data: data, metadata: metadata), promise: nil)
        }
        counters.udpPacketsOut += UInt64(segments * receivers.count)
        counters.bytesOut += UInt64(data.readableBytes * receivers.count)
        mediaNeedsFlush = true
    }

    /// Sends the channel's batched video to every flowing UDP receiver, one GSO message each.
    func sendVideoBatch(of channel: LocalChannel) {
        guard let batch = channel.videoBatch.take() else { return }
        if batch.startsKeyframe { channel.fanOut.keyframeStarts() }
        let metadata = batch.count > 1 ? AddressedEnvelope<ByteBuffer>.Metadata(ecnState: .transportNotCapable, packetInfo: nil, segmentSize: batch.segmentSize) : nil
        sendUDP(batch.buffer, segments: batch.count, metadata: metadata, to: channel.fanOut.udpFlowing)
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

    /// Checks a broadcaster's packet against the channel's uplink policy; counts what it drops.
    private func admitFromBroadcaster(_ packet: ByteBuffer, in channel: LocalChannel) -> Bool {
        switch channel.uplink.check(packet, now: .now()) {
        case .accept: return true
        case .wrongPayloadType: counters.droppedPayloadType += 1
        case .tooLarge: counters.droppedOversize += 1
        case .overBitrate: counters.droppedOverBitrate += 1
        }
        return false
    }

    /// Appends a packet to the channel's feed and sends it on: to every UDP receiver now, to every
    /// TCP receiver as far as its connection can take.
    func ingest(_ packet: ByteBuffer, into channel: LocalChannel) {
        guard let rtp = try? RTPPacket(parsing: packet), packet.readableBytes <= Int(UInt16.max) else {
            counters.droppedMalformed += 1
            return
        }
        let entry = FeedEntry(packet, parsed: rtp, allocator: allocator)
        let kind = entry.kind
        let startsKeyframe = entry.startsKeyframe
        channel.feed.append(entry)
        channel.packetsIn += 1
        counters.packetsIn += 1

        let datagram = entry.datagram
        if kind == .video && segmentationOffload && channel.fanOut.hasUDP {
            if !channel.videoBatch.accepts(datagram.readableBytes) { sendVideoBatch(of: channel) }
            if channel.videoBatch.isEmpty { channelsWithBatches.append(channel) }
            channel.videoBatch.append(datagram, startsKeyframe: startsKeyframe, allocator: allocator)
            if rtp.marker { sendVideoBatch(of: channel) }
        } else if kind == .video {
            if startsKeyframe { channel.fanOut.keyframeStarts() }
            sendUDP(datagram, to: channel.fanOut.udpFlowing)
        } else {
            // Audio goes to everyone, including receivers whose video waits for a keyframe.
            sendUDP(datagram, to: channel.fanOut.udpFlowing)
            sendUDP(datagram, to: channel.fanOut.udpAwaitingKeyframe)
        }
        if !channel.fanOut.tcp.isEmpty {
            // A finished video frame goes out at once; what comes between frames (audio) waits
            // for the next one, or the batch interval.
            if kind == .video && rtp.marker { sendTCPBatch(of: channel) } else { scheduleTCPBatch(of: channel) }
        }
        // After the fan-out: a receiver started now gets this packet in its backlog, not twice.
        if !channel.fanOut.resumeWaits.isEmpty { endResumeWaits(of: channel, after: entry) }
    }

    /// TCP receivers are written to at the end of each video frame, or `tcpBatchInterval` after
    /// a packet came, whichever is first: what arrived in between goes out in one write each, so
    /// writes are few and large (one a frame) and a frame is never held back.
    private func scheduleTCPBatch(of channel: LocalChannel) {
        guard channel.tcpBatchTimer == nil else { return }
        channel.tcpBatchTimer = eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(configuration.tcpBatchInterval)) { [weak self, weak channel] in
            guard let self, let channel else { return }
            channel.tcpBatchTimer = nil
            self.sendTCPBatch(of: channel)
            self.flushMedia()
        }
    }

    /// The packets since the last batch: one chunk shared by every TCP receiver that is caught up
    /// (built once, written to each as is); a receiver that is behind or waits for a keyframe
    /// reads on through its cursor instead.
    private func sendTCPBatch(of channel: LocalChannel) {
        channel.tcpBatchTimer?.cancel()
        channel.tcpBatchTimer = nil
        let feed = channel.feed
        let start = max(channel.tcpBatchStart, feed.oldestPosition)
        guard start < feed.writePosition else { return }
        defer { channel.tcpBatchStart = feed.writePosition }
        var shared: (chunk: ByteBuffer, packets: Int)?
        for id in channel.fanOut.tcp {
            guard let session = sessions[id], session.connection.isWritable, session.cursor != nil else { continue }
            if session.cursor!.takesEverything(from: start, in: feed) {
                if shared == nil { shared = chunk(of: feed, from: start) }
                session.cursor!.skipToWritePoint(of: feed)
                write(shared!.chunk, packets: shared!.packets, to: session)
            } else {
                pump(session, in: channel)
            }
        }
    }

    /// The framed packets from `start` to the write point, in one buffer.
    private func chunk(of feed: ChannelFeed, from start: UInt64) -> (chunk: ByteBuffer, packets: Int) {
        var bytes = 0
        for position in start..<feed.writePosition { bytes += feed.entry(at: position)?.framed.readableBytes ?? 0 }
        var chunk = allocator.buffer(capacity: bytes)
        var packets = 0
        for position in start..<feed.writePosition {
            guard let entry = feed.entry(at: position) else { continue }
            chunk.writeImmutableBuffer(entry.framed)
            packets += 1
        }
        return (chunk, packets)
    }

    /// A TCP receiver's backlog through its cursor while its connection is writable, gathered
    /// into writes of up to `Self.tcpWriteBytes`: a sender never passes the write point and never
    /// queues without bound. Its lag counts only what earlier batches offered it.
    func pump(_ session: UnitSession, in channel: LocalChannel) {
        guard session.cursor != nil, session.connection.isWritable else { return }
        var notices: [FeedCursor.Notice] = []
        var chunk = allocator.buffer(capacity: 0)
        var packets = 0
        while session.connection.isWritable {
            let entry = session.cursor!.next(in: channel.feed, notices: &notices, due: channel.tcpBatchStart)
            if !notices.isEmpty {
                // Notices go out in stream order: after the packets before them.
                if packets > 0 { write(chunk, packets: packets, to: session); chunk = allocator.buffer(capacity: 0); packets = 0 }
                for notice in notices { report(notice, for: session, in: channel) }
                notices.removeAll()
            }
            guard let entry else { break }
            chunk.writeImmutableBuffer(entry.framed)
            packets += 1
            if chunk.readableBytes >= Self.tcpWriteBytes {
                write(chunk, packets: packets, to: session)
                chunk = allocator.buffer(capacity: 0)
                packets = 0
            }
        }
        if packets > 0 { write(chunk, packets: packets, to: session) }
    }

    /// The most a TCP receiver that is catching up is given in one write.
    static let tcpWriteBytes = 64 << 10

    /// One write of `packets` framed packets to a TCP receiver, flushed with the batch.
    private func write(_ chunk: ByteBuffer, packets: Int, to session: UnitSession) {
        session.connection.write(chunk, promise: nil)
        session.bytesSent += UInt64(chunk.readableBytes)
        counters.tcpPacketsOut += UInt64(packets)
        counters.tcpWrites += 1
        counters.bytesOut += UInt64(chunk.readableBytes)
        if !session.awaitingFlush {
            session.awaitingFlush = true
            sessionsToFlush.append(session)
        }
    }

    private func report(_ notice: FeedCursor.Notice, for session: UnitSession, in channel: LocalChannel) {
        switch notice {
        case .videoSkipped(let lag):
            let reason = "\(lag) packets behind live: audio only until caught up"
            send(.videoSkipped(true, reason: reason), to: session)
            record(.modeSwitched, channel: channel.id, group: session.group, session: session.id, reason)
        case .videoResuming:
            let reason = "caught up: video resumes at the next keyframe"
            send(.videoSkipped(false, reason: reason), to: session)
            record(.modeSwitched, channel: channel.id, group: session.group, session: session.id, reason)
            requestKeyframe(for: channel.id, reason: "a TCP viewer caught up", force: false)
        case .overrun(let skipped):
            counters.cursorOverruns += 1
            record(.modeSwitched, channel: channel.id, group: session.group, session: session.id, "overrun: jumped \(skipped) packets forward")
        }
    }

    /// Switches a receiver between UDP and TCP; any number of times, at any time.
    func switchMode(of session: UnitSession, to mode: MediaMode, reason: String) {
        guard session.mode != mode else {
            send(.modeChanged(mode, reason: "already in \(mode) mode"), to: session)
            return
        }
        guard let channelID = session.channel, let channel = channels[channelID] else { return }
        if mode == .udp && session.udpAddress == nil {
            send(.error(ControlError(.notAllowed, "UDP mode needs a bind from your UDP socket first; send a bind request")), to: session)
            return
        }
        session.mode = mode
        if session.receivesMedia {
            // Out of the old mode's list; a receiver still waiting to resume waits again in the new one.
            channel.fanOut.remove(session.id)
            if mode == .udp {
                let awaitingKeyframe = session.cursor?.video != .flowing
                session.cursor = nil
                if session.resume != nil {
                    startUDP(session, in: channel)
                } else if let address = session.udpAddress {
                    channel.fanOut.addUDP(session.id, at: address, awaitingKeyframe: awaitingKeyframe)
                }
            }
        }
        send(.modeChanged(mode, reason: reason), to: session)
        record(.modeSwitched, channel: channelID, group: session.group, session: session.id, "\(mode) mode: \(reason)")
        if mode == .tcp && session.receivesMedia { startTCP(session, in: channel) }
    }

    /// Asks the channel's broadcaster (or parent unit) for a keyframe, at most once a second
    /// unless forced.
    func requestKeyframe(for channelID: ChannelID, reason: String, force: Bool) {
        guard let channel = channels[channelID] else { return }
        let now = NIODeadline.now()
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
