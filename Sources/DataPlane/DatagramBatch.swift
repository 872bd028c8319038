import NIOCore

/// Consecutive same-size datagrams of one video frame, sent to each UDP viewer as one message
/// with UDP segmentation offload (GSO): the kernel splits it, so a frame costs one entry in the
/// sendmmsg batch per viewer instead of one per packet. The buffer is built once and shared by
/// every viewer.
package struct DatagramBatch {
    /// The kernel takes at most 64 segments and 64 KB in one GSO send.
    package static let maxSegments = 40
    package static let maxBytes = 60_000

    package private(set) var buffer: ByteBuffer?
    package private(set) var segmentSize = 0
    package private(set) var count = 0
    /// The batch begins with the first packet of a keyframe.
    package private(set) var startsKeyframe = false
    /// A shorter datagram ends a GSO message: only the last segment may be short.
    private var ended = false

    package init() {}

    package var isEmpty: Bool { count == 0 }

    /// Whether `size` more bytes can join this batch.
    package func accepts(_ size: Int) -> Bool {
        guard let buffer else { return true }
        return !ended && size <= segmentSize && count < Self.maxSegments && buffer.readableBytes + size <= Self.maxBytes
    }

    package mutating func append(_ datagram: ByteBuffer, startsKeyframe: Bool, allocator: ByteBufferAllocator) {
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
    package mutating func take() -> (buffer: ByteBuffer, segmentSize: Int, count: Int, startsKeyframe: Bool)? {
        guard let buffer else { return nil }
        defer { self = DatagramBatch() }
        return (buffer, segmentSize, count, startsKeyframe)
    }
}
