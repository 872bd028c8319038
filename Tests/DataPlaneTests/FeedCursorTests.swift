import DataPlane
import NIOCore
import TestSupport
import Testing
import Wire

/// A cursor the feed overran: it jumps forward, says how far, and never reads what was overwritten.
struct FeedCursorTests {
    @Test func anOverrunCursorJumpsToTheNewestKeyframeAndReadsNothingOverwritten() throws {
        var feed = ChannelFeed(capacity: 32)
        var stream = TestStream(keyframeInterval: 4)
        var sent: [ReceivedPacket] = []
        func broadcast(_ steps: Range<Int>) throws {
            for step in steps {
                for packet in stream.next(step: step) {
                    feed.append(FeedEntry(packet, header: try #require(RTPHeaderView(packet)), allocator: ByteBufferAllocator()))
                    sent.append(try #require(ReceivedPacket(packet)))
                }
            }
        }
        try broadcast(0..<2)
        var cursor = FeedCursor(joining: feed, lagThreshold: 10_000)
        let startedAt = cursor.position
        try broadcast(2..<40)  // far more than the feed holds
        var notices: [FeedCursor.Notice] = []
        var read: [ReceivedPacket] = []
        while let entry = cursor.next(in: feed, notices: &notices) { read.append(try #require(ReceivedPacket(entry.datagram))) }
        let skipped = try #require(notices.compactMap { if case .overrun(let count) = $0 { count } else { nil } }.first)
        #expect(skipped >= feed.oldestPosition - startedAt)
        let window = sent.suffix(feed.capacity)
        #expect(read.allSatisfy { window.contains($0) }, "only packets the feed still holds")
        #expect(read.first { $0.isVideo }?.startsKeyframe == true, "video starts again at a keyframe")
        #expect(read.last == sent.last)
    }
}
