import DataPlane
import Logging
import NIOCore
import Wire

/// Bytes for a session that lives on another of the unit's loops, handed over with the batch.
struct SessionWrite: Sendable {
    let connection: Channel
    let writer: NIOLoopBound<DirectWriteHandler>?
    let bytes: ByteBuffer
}

/// Where the unit's media leaves (docs/ARCHITECTURE.md, one packet): it applies what the channel routers
/// put in the outbox to the sockets at the end of each batch of reads (the UDP send plan, from
/// each loop to its share of the receivers), and carries every write to a session, on the unit's
/// loop or handed to the session's own. Lives on the unit's loop.
final class MediaOutput {
    let eventLoop: EventLoop
    let logger: Logger
    /// What the routers route during a batch.
    let outbox = RouterOutbox()
    var mediaChannel: Channel?
    /// The media port's socket as the fan-out sends from it (NIO reads a duplicate).
    var fanOutSocket: UDPFanOutSocket?
    /// The unit's other loops (`--threads`), each sending to its share of the UDP receivers and
    /// writing to the sessions that live there.
    var mediaWorkers: [MediaWorker] = [] {
        didSet { remoteWrites = Array(repeating: [], count: mediaWorkers.count) }
    }
    /// What this batch writes to sessions on each other loop, handed over at its end.
    private var remoteWrites: [[SessionWrite]] = []
    private var remoteFlushScheduled = false
    /// Sessions written to since the last flush.
    private var sessionsToFlush: [UnitSession] = []
    private var mediaNeedsFlush = false
    /// Whether this kernel does UDP segmentation offload (else every packet goes alone).
    let segmentationOffload = System.supportsUDPSegmentationOffload
    /// What was sent and what the kernel would not send, since the unit last took the counts.
    private var sent = SendCounters()

    struct SendCounters {
        var udpPacketsOut: UInt64 = 0
        var udpBytesOut: UInt64 = 0
        var udpSendsDropped: UInt64 = 0
        var udpSendsFailed: UInt64 = 0
    }

    init(eventLoop: EventLoop, logger: Logger) {
        self.eventLoop = eventLoop
        self.logger = logger
    }

    /// How many loops share a channel's UDP receivers.
    var mediaShards: Int { 1 + mediaWorkers.count }

    /// Everything routed and written while handling the last batch of reads, out.
    func flush() {
        outbox.sendVideoBatches()
        if !outbox.udp.isEmpty { sendPlan() }
        if mediaNeedsFlush {
            mediaNeedsFlush = false
            mediaChannel?.flush()
        }
        for session in sessionsToFlush {
            session.awaitingFlush = false
            session.connection.flush()
        }
        sessionsToFlush.removeAll(keepingCapacity: true)
        flushRemoteWrites()
    }

    /// The counts since the last call: the routers' and the sockets'.
    func takeCounters() -> (routed: RouteCounters, sent: SendCounters) {
        defer { sent = SendCounters() }
        return (outbox.takeCounters(), sent)
    }

    /// The batch's UDP messages to every receiver, in as few system calls as the kernel takes;
    /// counted once for the whole batch. With several loops each sends to its own receivers; the
    /// plan is theirs to read, and the next batch gets a new one.
    private func sendPlan() {
        let plan = outbox.udp
        sent.udpPacketsOut += UInt64(plan.datagrams)
        sent.udpBytesOut += UInt64(plan.bytesOut)
        guard !mediaWorkers.isEmpty else {
            if let fanOutSocket { note(fanOutSocket.send(plan)) }
            plan.reset()
            return
        }
        outbox.udp = UDPSendPlan()
        var ownShare = false
        for shard in plan.shardsInUse(of: mediaShards) {
            guard shard > 0 else { ownShare = true; continue }
            let worker = mediaWorkers[shard - 1]
            worker.loop.execute {
                let outcome = worker.socket.value.send(plan, shard: shard)
                if outcome.dropped + outcome.failed > 0 { worker.failures.withLockedValue { $0.add(outcome) } }
            }
        }
        if ownShare, let fanOutSocket { note(fanOutSocket.send(plan, shard: 0)) }
    }

    /// What the kernel would not send: a full socket buffer drops, an unreachable receiver fails.
    func note(_ outcome: UDPFanOutSocket.Outcome) {
        sent.udpSendsDropped += UInt64(outcome.dropped)
        sent.udpSendsFailed += UInt64(outcome.failed)
        if outcome.failed > 0 { logger.debug("media port: \(outcome.failed) sends refused, the last with errno \(outcome.lastError)") }
    }

    /// What the other loops' sockets would not send since the last heartbeat.
    func noteOtherLoopsFailures() {
        for worker in mediaWorkers {
            note(worker.failures.withLockedValue { failures in
                defer { failures = UDPFanOutSocket.Outcome() }
                return failures
            })
        }
    }

    /// A datagram from the media port (a bind reply), flushed with the batch.
    func writeDatagram(_ data: ByteBuffer, to address: SocketAddress) {
        mediaChannel?.write(AddressedEnvelope(remoteAddress: address, data: data), promise: nil)
        mediaNeedsFlush = true
    }

    /// Closes the media port's sockets (the unit stops).
    func close() {
        fanOutSocket?.close()
        fanOutSocket = nil
        for worker in mediaWorkers { worker.loop.execute { worker.socket.value.close() } }
    }
}

extension MediaOutput {
    /// Sends one session message now, in order with the media written to the session before it.
    func send(_ message: SessionMessage, to session: UnitSession) {
        var buffer = session.connection.allocator.buffer(capacity: 128)
        do {
            try SessionFrame.message(message).write(to: &buffer)
        } catch {
            logger.error("cannot encode a session message: \(error)")
            return
        }
        guard session.loop == 0 else {
            queueRemote(buffer, to: session)
            scheduleRemoteFlush()
            return
        }
        session.connection.writeAndFlush(buffer, promise: nil)
    }

    /// Bytes for a session, in order with everything else written to it: straight to its socket
    /// when nothing waits in NIO before them, else through NIO, flushed with the batch; for a
    /// session on another loop, handed to that loop with the batch.
    func deliver(_ bytes: ByteBuffer, to session: UnitSession) {
        guard session.loop == 0 else {
            queueRemote(bytes, to: session)
            return
        }
        if let writer = session.localWriter {
            guard writer.write(bytes) else { return }
        } else {
            session.connection.write(bytes, promise: nil)
        }
        if !session.awaitingFlush {
            session.awaitingFlush = true
            sessionsToFlush.append(session)
        }
    }

    private func queueRemote(_ bytes: ByteBuffer, to session: UnitSession) {
        remoteWrites[session.loop - 1].append(SessionWrite(connection: session.connection, writer: session.writer, bytes: bytes))
    }

    /// Closes a session's connection after what was written to it.
    func close(_ session: UnitSession) {
        flushRemoteWrites()
        session.connection.close(promise: nil)
    }

    /// A message outside a batch still leaves soon: after what the loop is doing now.
    private func scheduleRemoteFlush() {
        guard !remoteFlushScheduled else { return }
        remoteFlushScheduled = true
        eventLoop.assumeIsolated().execute { [weak self] in
            guard let self else { return }
            self.remoteFlushScheduled = false
            self.flushRemoteWrites()
        }
    }

    /// Hands each other loop what this batch writes to its sessions: one task per loop, run in
    /// the order they were handed over, so every session gets its bytes in order.
    func flushRemoteWrites() {
        for index in remoteWrites.indices where !remoteWrites[index].isEmpty {
            let writes = remoteWrites[index]
            remoteWrites[index] = []
            mediaWorkers[index].loop.execute {
                for write in writes {
                    if let writer = write.writer {
                        if writer.value.write(write.bytes) { write.connection.flush() }
                    } else {
                        write.connection.writeAndFlush(write.bytes, promise: nil)
                    }
                }
            }
        }
    }
}
