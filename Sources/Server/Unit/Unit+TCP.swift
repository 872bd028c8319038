import CDatagram
import DataPlane
import NIOCore
import Wire

extension Unit {
    /// Gives a TCP receiver its cursor: from where it left off, or the newest keyframe with audio
    /// included (nothing still in the buffer is missed); then writes what it can take.
    func startTCP(_ session: UnitSession, in channel: LocalChannel) {
        let threshold = session.role == .relay ? configuration.relayLagThreshold : configuration.lagThreshold
        switch resumption(of: session, in: channel, lagThreshold: threshold) {
        case .waiting: return
        case .resumed(let cursor): session.cursor = cursor
        case .fresh: session.cursor = FeedCursor(resumingIn: channel.feed, lagThreshold: threshold)
        }
        channel.fanOut.addTCP(session.id)
        pump(session, in: channel)
    }

    /// TCP receivers are written to at the end of each video frame (or with the audio packet due
    /// just after it), or `tcpBatchInterval` after a packet came, whichever is first: what arrived
    /// in between goes out in one write each, so writes are few and large (one a frame).
    /// `deadline`: an earlier time the write is due by (a frame waiting for audio).
    func scheduleTCPBatch(of channel: LocalChannel, by deadline: NIODeadline? = nil) {
        let due = deadline ?? NIODeadline.now() + TimeAmount(configuration.tcpBatchInterval)
        if let timer = channel.tcpBatchTimer {
            guard due < channel.tcpBatchDue else { return }
            timer.cancel()
        }
        channel.tcpBatchDue = due
        channel.tcpBatchTimer = eventLoop.assumeIsolated().scheduleTask(deadline: due) { [weak self, weak channel] in
            guard let self, let channel else { return }
            self.loopDelaySinceHeartbeat = max(self.loopDelaySinceHeartbeat, .now() - due)
            channel.tcpBatchTimer = nil
            self.sendTCPBatch(of: channel)
            self.flushMedia()
        }
    }

    /// The packets since the last batch: one chunk shared by every TCP receiver that is caught up
    /// (built once, written to each as is); a receiver that is behind or waits for a keyframe
    /// reads on through its cursor instead. Counters are added once for the batch.
    func sendTCPBatch(of channel: LocalChannel) {
        channel.tcpBatchTimer?.cancel()
        channel.tcpBatchTimer = nil
        channel.tcpPacing.writing()
        let feed = channel.feed
        let start = max(channel.tcpBatchStart, feed.oldestPosition)
        guard start < feed.writePosition else { return }
        let began = TCPBatchPacing.threadTime
        defer {
            channel.tcpBatchStart = feed.writePosition
            channel.tcpPacing.batchRan(cost: TCPBatchPacing.threadTime - began, endedAt: .now())
        }
        var shared: (chunk: ByteBuffer, packets: Int)?
        var caughtUp: UInt64 = 0
        let sessions = tcpSessions(of: channel)
        for index in sessions.indices {
            prefetchReceivers(after: index, in: sessions)
            let session = sessions[index]
            guard session.phase == .open && session.cursor != nil && session.isWritable else { continue }
            if session.cursor!.takeEverything(from: start, in: feed) {
                if shared == nil { shared = chunk(of: feed, from: start) }
                session.bytesSent += UInt64(shared!.chunk.readableBytes)
                deliver(shared!.chunk, to: session)
                caughtUp += 1
            } else {
                pump(session, in: channel)
            }
        }
        if let shared, caughtUp > 0 {
            counters.tcpPacketsOut += UInt64(shared.packets) * caughtUp
            counters.tcpWrites += caughtUp
            counters.bytesOut += UInt64(shared.chunk.readableBytes) * caughtUp
        }
    }

    /// How many receivers ahead a batch asks for a session's memory: enough for the misses to
    /// overlap, few enough that what arrives is still in cache at its turn.
    static let prefetchDistance = 8

    /// Asks for the memory a batch reads of the receivers it reaches next: the session
    /// `prefetchDistance` places ahead, and the writer of the one half as far ahead (whose
    /// session, asked for earlier, is in cache by now to say where its writer is).
    @inline(__always)
    private func prefetchReceivers(after index: Int, in sessions: [UnitSession]) {
        if index + Self.prefetchDistance < sessions.count {
            avc_prefetch(Unmanaged.passUnretained(sessions[index + Self.prefetchDistance]).toOpaque(), UnitSession.batchReadBytes)
        }
        if index + Self.prefetchDistance / 2 < sessions.count, let writer = sessions[index + Self.prefetchDistance / 2].localWriter {
            avc_prefetch(Unmanaged.passUnretained(writer).toOpaque(), 64)
        }
    }

    /// The channel's TCP receivers' sessions, looked up again only when the list changed.
    private func tcpSessions(of channel: LocalChannel) -> [UnitSession] {
        if channel.tcpSessions.generation != channel.fanOut.tcpGeneration {
            channel.tcpSessions = (channel.fanOut.tcpGeneration, channel.fanOut.tcp.compactMap { sessions[$0] })
        }
        return channel.tcpSessions.sessions
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
        guard session.cursor != nil, session.isWritable else { return }
        var notices: [FeedCursor.Notice] = []
        var chunk = allocator.buffer(capacity: 0)
        var packets = 0
        // A session on another loop turns unwritable only once that loop has written: it gets at
        // most this much per pump, and the next batch or its writability pumps again.
        var budget = session.loop == 0 ? Int.max : Self.tcpWriteBytes * 2
        while session.isWritable && budget > 0 {
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
            budget -= entry.framed.readableBytes
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

    /// One write of `packets` framed packets to a TCP receiver.
    private func write(_ chunk: ByteBuffer, packets: Int, to session: UnitSession) {
        session.bytesSent += UInt64(chunk.readableBytes)
        counters.tcpPacketsOut += UInt64(packets)
        counters.tcpWrites += 1
        counters.bytesOut += UInt64(chunk.readableBytes)
        deliver(chunk, to: session)
    }
}
