import NIOCore
import Wire

/// A channel's packet path on one unit (docs/ARCHITECTURE.md, one packet): its feed, who receives it
/// (`ChannelFanOut`), the video frame gathered for one GSO message per receiver, and when its TCP
/// receivers are written (`TCPBatchPacing`). It takes packets and the time and puts its UDP sends
/// in the unit's `RouterOutbox`, writing TCP receivers through them; it holds no socket and
/// reads no clock, so the unit, the tests and `avbench fanout --in-process` run the same path.
/// Lives on the unit's loop, like everything the unit owns.
package final class ChannelRouter {
    package struct Settings {
        /// Whether the kernel does UDP segmentation offload (else every datagram goes alone).
        package var segmentationOffload: Bool
        /// How long after a packet TCP receivers are written at the latest.
        package var tcpBatchInterval: TimeAmount
        /// The unit's loops that share the channel's UDP receivers.
        package var sendingLoops: Int
        /// The loop's own CPU time, which `TCPBatchPacing` weighs batches by.
        package var threadTime: () -> TimeAmount

        package init(segmentationOffload: Bool, tcpBatchInterval: TimeAmount, sendingLoops: Int, threadTime: @escaping () -> TimeAmount) {
            self.segmentationOffload = segmentationOffload
            self.tcpBatchInterval = tcpBatchInterval
            self.sendingLoops = sendingLoops
            self.threadTime = threadTime
        }
    }

    /// What the owner does after a packet.
    package struct Routed {
        /// The TCP batch's timer.
        package var timer: BatchTimer = .unchanged
        /// Resuming receivers whose wait is over: the feed reached where they left off, or did
        /// not in time (`timedOut`). The owner starts them (`startUDP`, `startTCP`).
        package var endedWaits: [(session: SessionID, timedOut: Bool)] = []
    }

    /// The owner's timer for the next TCP batch.
    package enum BatchTimer: Equatable {
        case unchanged
        /// The batch went out: no timer is needed.
        case cancel
        /// Call `sendTCPBatch` at this instant (replacing any later timer).
        case schedule(NIODeadline)
    }

    package let channel: ChannelID
    package internal(set) var feed: ChannelFeed
    package internal(set) var fanOut: ChannelFanOut
    /// Seals every packet of the feed for this unit's relay children (`UplinkTag.seal`); each
    /// child learns the key when its relay session opens.
    package let relaySeal: UplinkTag
    package private(set) var packetsIn: UInt64 = 0
    let outbox: RouterOutbox
    let settings: Settings
    let allocator = ByteBufferAllocator()
    /// Video packets waiting to go out together (GSO) at the end of their frame or read batch.
    private var videoBatch = DatagramBatch()
    /// The first packet of the feed that TCP receivers have not been sent as a batch yet.
    package internal(set) var tcpBatchStart: UInt64 = 0
    /// When the owner's timer sends the next TCP batch, while one is set.
    var tcpBatchDue: NIODeadline?
    var tcpPacing = TCPBatchPacing()
    /// The TCP receivers by session, and in `fanOut.tcp`'s order as of its generation: a batch
    /// walks the array instead of looking each one up.
    var tcpReceivers: [SessionID: any TCPReceiver] = [:]
    var tcpInOrder: (generation: Int, receivers: [any TCPReceiver]) = (-1, [])

    package init(channel: ChannelID, feedCapacity: Int, settings: Settings, outbox: RouterOutbox, relaySeal: UplinkTag = .random()) {
        self.channel = channel
        self.settings = settings
        self.outbox = outbox
        self.relaySeal = relaySeal
        feed = ChannelFeed(capacity: feedCapacity)
        fanOut = ChannelFanOut(shards: settings.sendingLoops)
    }

    /// Appends a packet to the feed and sends it on: to every UDP receiver with this read batch,
    /// to every TCP receiver when its batch is due. nil (and counted) when no feed can take it.
    package func ingest(_ packet: ByteBuffer, now: NIODeadline) -> Routed? {
        // The header read in place, allocating nothing: the unit relays the packet as it came.
        guard let rtp = RTPHeaderView(packet), packet.readableBytes <= Int(UInt16.max),
            // Sealed for the relay children: a packet that cannot carry the seal reaches nobody.
            let entry = FeedEntry(packet, header: rtp, relaySeal: relaySeal, allocator: allocator)
        else {
            outbox.counters.droppedMalformed += 1
            return nil
        }
        let kind = entry.kind
        let startsKeyframe = entry.startsKeyframe
        feed.append(entry)
        packetsIn += 1
        outbox.counters.packetsIn += 1

        let datagram = entry.datagram
        if kind == .video && settings.segmentationOffload && fanOut.hasUDP {
            if !videoBatch.accepts(datagram.readableBytes) { sendVideoBatch() }
            if videoBatch.isEmpty { outbox.holdsVideo(of: self) }
            videoBatch.append(datagram, startsKeyframe: startsKeyframe, allocator: allocator)
            if rtp.marker { sendVideoBatch() }
        } else if kind == .video {
            if startsKeyframe { fanOut.keyframeStarts() }
            outbox.udp.add(datagram, to: fanOut.flowingPeers)
        } else {
            // Audio goes to everyone, including receivers whose video waits for a keyframe.
            outbox.udp.add(datagram, to: fanOut.flowingPeers)
            outbox.udp.add(datagram, to: fanOut.awaitingPeers)
        }
        var routed = Routed()
        if !fanOut.tcp.isEmpty {
            // A finished video frame goes out at once, or with the audio packet due just after it
            // (see TCPBatchPacing); what comes between frames waits for the next one, or the interval.
            let write: TCPBatchPacing.Write =
                if kind == .audio {
                    tcpPacing.audioArrived(sequence: rtp.sequenceNumber, timestamp: rtp.timestamp, at: now) ? .now : .withTheNextBatch
                } else if kind == .video && rtp.marker {
                    tcpPacing.frameEnded(at: now)
                } else {
                    .withTheNextBatch
                }
            switch write {
            case .now:
                sendTCPBatch(now: now)
                routed.timer = .cancel
            case .by(let deadline): routed.timer = batchDue(by: deadline)
            case .withTheNextBatch: routed.timer = batchDue(by: now + settings.tcpBatchInterval)
            }
        }
        // After the fan-out: a receiver started now gets this packet in its backlog, not twice.
        if !fanOut.resumeWaits.isEmpty {
            routed.endedWaits = fanOut.endWaits(afterPacketOf: entry.ssrc, sequence: entry.sequenceNumber, now: now)
        }
        return routed
    }

    /// The batch's timer, moved earlier only.
    private func batchDue(by due: NIODeadline) -> BatchTimer {
        if let current = tcpBatchDue, due >= current { return .unchanged }
        tcpBatchDue = due
        return .schedule(due)
    }

    /// Puts the gathered video frame in the send plan for every flowing UDP receiver, one GSO
    /// message each.
    package func sendVideoBatch() {
        guard let batch = videoBatch.take() else { return }
        if batch.startsKeyframe { fanOut.keyframeStarts() }
        outbox.udp.add(batch.buffer, segments: batch.count, segmentSize: batch.segmentSize, to: fanOut.flowingPeers)
    }
}

extension ChannelRouter {
    /// Starts a bound UDP receiver from `cursor`: what the cursor has left goes to it alone, now
    /// (so it cannot overtake the packets that follow), then it joins the fan-out. Returns
    /// whether its video waits for a keyframe (the owner asks the broadcaster for one).
    package func startUDP(_ session: SessionID, at address: SocketAddress, from cursor: FeedCursor) -> Bool {
        sendVideoBatch()  // what is batched is in the feed too: send it before the backlog
        var cursor = cursor
        var notices: [FeedCursor.Notice] = []
        let receiver = fanOut.peers(of: ChannelFanOut.UDPReceiver(session: session, address: address))
        while let entry = cursor.next(in: feed, notices: &notices) {
            outbox.udp.add(entry.datagram, to: receiver)
        }
        let awaitingKeyframe = cursor.video != .flowing
        fanOut.addUDP(session, at: address, awaitingKeyframe: awaitingKeyframe)
        return awaitingKeyframe
    }

    /// A UDP receiver (re)joins at an address without a backlog: a mode switch back to UDP.
    package func addUDP(_ session: SessionID, at address: SocketAddress, awaitingKeyframe: Bool) {
        fanOut.addUDP(session, at: address, awaitingKeyframe: awaitingKeyframe)
    }

    /// A UDP receiver's address went silent: no more UDP media (a TCP receiver stays).
    package func removeUDP(_ session: SessionID) {
        fanOut.removeUDP(session)
    }

    /// The receiver leaves every list: its session closed, or it switches mode.
    package func remove(_ session: SessionID) {
        fanOut.remove(session)
        tcpReceivers[session] = nil
    }

    /// Where a resuming receiver's media starts.
    package enum Resumption {
        /// After where it left off.
        case resumed(FeedCursor)
        /// Not yet: the feed here has not caught up with where it left off. It waits in the
        /// fan-out until a packet brings the feed there, or `ResumeWait.longest` passes.
        case waiting
        /// As a new receiver does: the feed no longer reaches back to where it left off.
        case pastTheFeed
    }

    package func resumption(of session: SessionID, from point: ResumePoint, lagThreshold: Int, now: NIODeadline) -> Resumption {
        if let cursor = FeedCursor(resuming: point, in: feed, lagThreshold: lagThreshold) { return .resumed(cursor) }
        if ResumeWait.feedIsBehind(feed, point) {
            fanOut.wait(ResumeWait(session: session, point: point, now: now))
            return .waiting
        }
        return .pastTheFeed
    }
}
