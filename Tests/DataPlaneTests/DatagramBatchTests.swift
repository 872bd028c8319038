import DataPlane
import NIOCore
import Testing

/// A video frame's datagrams gathered into one GSO message: same-size segments, the last may be
/// shorter, within the kernel's limits.
struct DatagramBatchTests {
    let allocator = ByteBufferAllocator()

    func datagram(_ size: Int, _ byte: UInt8 = 1) -> ByteBuffer { ByteBuffer(repeating: byte, count: size) }

    @Test func sameSizeDatagramsGoTogetherAndAShorterOneEndsTheMessage() throws {
        var batch = DatagramBatch()
        #expect(batch.accepts(1200) && batch.isEmpty)
        batch.append(datagram(1200, 1), startsKeyframe: true, allocator: allocator)
        batch.append(datagram(1200, 2), startsKeyframe: false, allocator: allocator)
        #expect(!batch.accepts(1300), "a larger datagram cannot be a segment")
        #expect(batch.accepts(700))
        batch.append(datagram(700, 3), startsKeyframe: false, allocator: allocator)
        #expect(!batch.accepts(700), "after a short segment the message is over")
        let took = batch.take()
        let taken = try #require(took)
        #expect(taken.count == 3 && taken.segmentSize == 1200 && taken.startsKeyframe)
        #expect(taken.buffer.readableBytes == 3100)
        #expect(taken.buffer.getInteger(at: 1200, as: UInt8.self) == 2 && taken.buffer.getInteger(at: 2400, as: UInt8.self) == 3)
        let again = batch.take()
        #expect(batch.isEmpty && again == nil)
    }

    @Test func aMessageStaysWithinTheKernelsSegmentAndByteLimits() {
        var batch = DatagramBatch()
        var count = 0
        while batch.accepts(1200) {
            batch.append(datagram(1200), startsKeyframe: false, allocator: allocator)
            count += 1
        }
        #expect(count == min(DatagramBatch.maxSegments, DatagramBatch.maxBytes / 1200))
        var small = DatagramBatch()
        var smallCount = 0
        while small.accepts(100) {
            small.append(datagram(100), startsKeyframe: false, allocator: allocator)
            smallCount += 1
        }
        #expect(smallCount == DatagramBatch.maxSegments)
    }
}
