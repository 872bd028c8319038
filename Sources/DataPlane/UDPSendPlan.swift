import CDatagram
import NIOCore

/// What one read batch sends over UDP (docs/ARCHITECTURE.md, one packet): each message (a datagram, or a
/// video frame's datagrams as one GSO message) with the receivers it goes to, its bytes copied
/// once into one buffer. `UDPFanOutSocket.send` turns it into as few `sendmmsg` calls as the
/// kernel takes, on each loop for the receivers it sends to (`PeerList`'s shards). A plan is filled on
/// one loop and only read after: it can be sent from several loops at once.
package final class UDPSendPlan: @unchecked Sendable {
    struct Message {
        let offset: Int
        let length: Int
        /// 0 for a single datagram, else the GSO segment size.
        let segmentSize: UInt16
        let peers: PeerList
    }

    private var bytes: UnsafeMutableRawPointer
    private var capacity: Int
    private var used = 0
    private(set) var messages: [Message] = []
    /// Datagrams the plan sends, and their bytes, over all receivers.
    package private(set) var datagrams = 0
    package private(set) var bytesOut = 0

    package init(capacity: Int = 64 << 10) {
        self.capacity = max(capacity, 2048)
        bytes = .allocate(byteCount: self.capacity, alignment: 16)
    }

    deinit { bytes.deallocate() }

    package var isEmpty: Bool { messages.isEmpty }

    /// Empties the plan for the next batch, keeping its memory (only when no loop still reads it).
    package func reset() {
        messages.removeAll(keepingCapacity: true)
        used = 0
        datagrams = 0
        bytesOut = 0
    }

    /// Adds `data` for every receiver of `peers`: one datagram, or `segments` datagrams of
    /// `segmentSize` bytes (the last may be shorter) that the kernel splits.
    package func add(_ data: ByteBuffer, segments: Int = 1, segmentSize: Int = 0, to peers: PeerList) {
        guard peers.count > 0, data.readableBytes > 0 else { return }
        if used + data.readableBytes > capacity { grow(to: used + data.readableBytes) }
        data.withUnsafeReadableBytes { source in
            (bytes + used).copyMemory(from: source.baseAddress!, byteCount: source.count)
        }
        let gso = segments > 1 ? UInt16(clamping: segmentSize) : 0
        messages.append(Message(offset: used, length: data.readableBytes, segmentSize: gso, peers: peers))
        used += data.readableBytes
        datagrams += segments * peers.count
        bytesOut += data.readableBytes * peers.count
    }

    private func grow(to needed: Int) {
        var larger = capacity
        while larger < needed { larger *= 2 }
        let moved = UnsafeMutableRawPointer.allocate(byteCount: larger, alignment: 16)
        moved.copyMemory(from: bytes, byteCount: used)
        bytes.deallocate()
        bytes = moved
        capacity = larger
    }

    /// Which loops have receivers in this plan.
    package func shardsInUse(of shards: Int) -> [Int] {
        (0..<shards).filter { shard in messages.contains { !$0.peers.range(shard: shard).isEmpty } }
    }

    /// Fills `sends` with this plan's messages for the receivers of loop `shard`.
    func describe(into sends: UnsafeMutablePointer<avc_send>, shard: Int) -> Int {
        var count = 0
        for message in messages {
            let range = message.peers.range(shard: shard)
            guard !range.isEmpty else { continue }
            avc_send_set(
                sends + count, bytes + message.offset, message.length, message.segmentSize, message.peers.peers + range.lowerBound,
                UInt32(range.count))
            count += 1
        }
        return count
    }
}
