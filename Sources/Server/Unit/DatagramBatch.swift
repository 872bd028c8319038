import NIOCore

/// Consecutive same-size datagrams of one video frame, sent to each UDP viewer as one message
/// with UDP segmentation offload (GSO): the kernel splits it, so a frame costs one entry in the
/// sendmmsg batch per viewer instead of one per packet. The buffer is built once and shared by
/// every viewer.
struct DatagramBatch {
    /// The kernel takes at most 64 segments and 64 KB in one GSO send.
    static let maxSegments = 40
    static let maxBytes = 60_000

    private(set) var buffer: ByteBuffer?
    private(set) var segmentSize = 0
    private(set) var count = 0
    /// The batch begins with the first packet of a keyframe.
    private(set) var startsKeyframe = false
    /// A shorter datagram ends a GSO message: only the last segment may be short.
    private var ended = false

    var isEmpty: Bool { count == 0 }

    /// Whether `size` more bytes can join this batch.
    func accepts(_ size: Int) -> Bool {
        guard let buffer else { return true }
        return !ended && size <= segmentSize && count < Self.maxSegments && buffer.readableBytes + size <= Self.maxBytes
    }

    mutating func append(_ datagram: ByteBuffer, startsKeyframe: Bool, allocator: ByteBufferAllocator) {
        if buffer == nil {
            buffer = allocator.buffer(capacity: min(datagram.readableBytes * 8, Self.maxBytes))
            segmentSize = datagram.readableBytes
            self.startsKeyframe = startsKeyframe
        }
        if datagram.readableBytes < segmentSize { ended = true }
        buffer!.writeImmutableBuffer(datagram)
        count += 1
    }

    /// Empties the batch and returns what it held.
    mutating func take() -> (buffer: ByteBuffer, segmentSize: Int, count: Int, startsKeyframe: Bool)? {
        guard let buffer else { return nil }
        defer { self = DatagramBatch() }
        return (buffer, segmentSize, count, startsKeyframe)
    }
}
