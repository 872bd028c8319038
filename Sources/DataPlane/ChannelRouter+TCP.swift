import CDatagram
import NIOCore
import Wire

extension ChannelRouter {
    /// Starts a TCP receiver from `cursor` and writes it what it can take now.
    package func startTCP(_ receiver: any TCPReceiver, from cursor: FeedCursor) {
        receiver.cursor = cursor
        fanOut.addTCP(receiver.id)
        tcpReceivers[receiver.id] = receiver
        pump(receiver)
    }

    /// The packets since the last batch: one chunk shared by every TCP receiver that is caught up
    /// (built once, written to each as is); a receiver that is behind or waits for a keyframe
    /// reads on through its cursor instead. Counted once for the batch.
    package func sendTCPBatch(now: NIODeadline) {
        tcpBatchDue = nil
        tcpPacing.writing()
        let start = max(tcpBatchStart, feed.oldestPosition)
        guard start < feed.writePosition else { return }
        let began = settings.threadTime()
        defer {
            tcpBatchStart = feed.writePosition
            tcpPacing.batchRan(cost: settings.threadTime() - began, endedAt: now)
        }
        var shared: (chunk: ByteBuffer, packets: Int)?
        var caughtUp: UInt64 = 0
        let receivers = tcpReceiversInOrder()
        for index in receivers.indices {
            prefetchReceivers(after: index, in: receivers)
            let receiver = receivers[index]
            guard receiver.isOpen && receiver.cursor != nil && receiver.isWritable else { continue }
            if receiver.cursor!.takeEverything(from: start, in: feed) {
                if shared == nil { shared = chunk(from: start) }
                receiver.write(shared!.chunk, packets: shared!.packets)
                caughtUp += 1
            } else {
                pump(receiver)
            }
        }
        if let shared, caughtUp > 0 {
            outbox.counters.tcpPacketsOut += UInt64(shared.packets) * caughtUp
            outbox.counters.tcpWrites += caughtUp
            outbox.counters.tcpBytesOut += UInt64(shared.chunk.readableBytes) * caughtUp
        }
    }

    /// How many receivers ahead a batch asks for a receiver's memory: enough for the misses to
    /// overlap, few enough that what arrives is still in cache at its turn.
    static let prefetchDistance = 8
    /// The bytes of a receiver a batch reads ahead of its turn.
    static let receiverReadBytes = 128

    /// Asks for the memory a batch reads of the receivers it reaches next: the receiver
    /// `prefetchDistance` places ahead, and what the write of the one half as far ahead touches
    /// (the receiver, asked for earlier, is in cache by now to say where that is).
    @inline(__always)
    private func prefetchReceivers(after index: Int, in receivers: [any TCPReceiver]) {
        if index + Self.prefetchDistance < receivers.count {
            avc_prefetch(Unmanaged.passUnretained(receivers[index + Self.prefetchDistance] as AnyObject).toOpaque(), Self.receiverReadBytes)
        }
        if index + Self.prefetchDistance / 2 < receivers.count {
            receivers[index + Self.prefetchDistance / 2].prefetchForBatch()
        }
    }

    /// The TCP receivers in the order they joined, gathered again only when the list changed.
    private func tcpReceiversInOrder() -> [any TCPReceiver] {
        if tcpInOrder.generation != fanOut.tcpGeneration {
            tcpInOrder = (fanOut.tcpGeneration, fanOut.tcp.compactMap { tcpReceivers[$0] })
        }
        return tcpInOrder.receivers
    }

    /// The framed packets from `start` to the write point, in one buffer.
    private func chunk(from start: UInt64) -> (chunk: ByteBuffer, packets: Int) {
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

    /// The most a TCP receiver that is catching up is given in one write.
    package static let tcpWriteBytes = 64 << 10

    /// A TCP receiver's backlog through its cursor while its connection is writable, gathered
    /// into writes of up to `tcpWriteBytes`: a sender never passes the write point and never
    /// queues without bound. Its lag counts only what earlier batches offered it.
    package func pump(_ receiver: any TCPReceiver) {
        guard receiver.cursor != nil, receiver.isWritable else { return }
        var notices: [FeedCursor.Notice] = []
        var chunk = allocator.buffer(capacity: 0)
        var packets = 0
        var budget = receiver.pumpBudget
        while receiver.isWritable && budget > 0 {
            let entry = receiver.cursor!.next(in: feed, notices: &notices, due: tcpBatchStart)
            if !notices.isEmpty {
                // Notices go out in stream order: after the packets before them.
                if packets > 0 { write(chunk, packets: packets, to: receiver); chunk = allocator.buffer(capacity: 0); packets = 0 }
                for notice in notices { receiver.notice(notice) }
                notices.removeAll()
            }
            guard let entry else { break }
            chunk.writeImmutableBuffer(entry.framed)
            packets += 1
            budget -= entry.framed.readableBytes
            if chunk.readableBytes >= Self.tcpWriteBytes {
                write(chunk, packets: packets, to: receiver)
                chunk = allocator.buffer(capacity: 0)
                packets = 0
            }
        }
        if packets > 0 { write(chunk, packets: packets, to: receiver) }
    }

    /// One write of `packets` framed packets to a TCP receiver, counted.
    private func write(_ chunk: ByteBuffer, packets: Int, to receiver: any TCPReceiver) {
        outbox.counters.tcpPacketsOut += UInt64(packets)
        outbox.counters.tcpWrites += 1
        outbox.counters.tcpBytesOut += UInt64(chunk.readableBytes)
        receiver.write(chunk, packets: packets)
    }
}
