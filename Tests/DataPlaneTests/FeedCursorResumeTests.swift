import DataPlane
import NIOCore
import TestSupport
import Testing
import Wire


/// A receiver opened again where it left off (`ResumePoint`), without sockets: it gets exactly
/// the packets after the ones it has, of every stream, however they interleave in the feed.
struct FeedCursorResumeTests {
    /// A feed of `steps` steps of the tests' stream (an audio packet every step, a video frame of
    /// three packets every other step), and the packets in the order they went in.
    static func feed(steps: Range<Int>, capacity: Int = 1024, keyframeInterval: Int = 30) -> (ChannelFeed, [ReceivedPacket]) {
        var feed = ChannelFeed(capacity: capacity)
        var stream = TestStream(keyframeInterval: keyframeInterval)
        var sent: [ReceivedPacket] = []
        for step in steps {
            for packet in stream.next(step: step) {
                feed.append(FeedEntry(packet, header: RTPHeaderView(packet)!, allocator: ByteBufferAllocator()))
                sent.append(ReceivedPacket(packet)!)
            }
        }
        return (feed, sent)
    }

    static func drain(_ cursor: inout FeedCursor, _ feed: ChannelFeed) -> (packets: [ReceivedPacket], notices: [FeedCursor.Notice]) {
        var notices: [FeedCursor.Notice] = []
        var packets: [ReceivedPacket] = []
        while let entry = cursor.next(in: feed, notices: &notices) { packets.append(ReceivedPacket(entry.datagram)!) }
        return (packets, notices)
    }

    /// The last packet of each stream among `packets`.
    static func point(after packets: ArraySlice<ReceivedPacket>) -> ResumePoint {
        var streams: [ResumePoint.Stream] = []
        for packet in packets.reversed() where !streams.contains(where: { $0.ssrc == packet.ssrc }) {
            streams.append(.init(ssrc: packet.ssrc, sequence: packet.sequence))
        }
        return ResumePoint(streams: streams)
    }

    @Test(arguments: [1, 2, 3, 37, 100, 149])
    func aResumingReceiverGetsExactlyWhatFollowsWhatItHas(had count: Int) throws {
        let (feed, sent) = Self.feed(steps: 0..<100)
        // A receiver that had the first `count` packets, except that its last video packet may
        // have come after later audio (UDP reorders streams against each other).
        var had = Array(sent.prefix(count))
        if let lastAudio = had.lastIndex(where: { !$0.isVideo }), lastAudio > 0, had[lastAudio - 1].isVideo {
            had.swapAt(lastAudio, lastAudio - 1)
        }
        let resumed = FeedCursor(resuming: Self.point(after: had[...]), in: feed, lagThreshold: 20)
        var cursor = try #require(resumed)
        let (packets, notices) = Self.drain(&cursor, feed)
        #expect(notices.isEmpty, "a resume is a catch-up, not a slow reader: \(notices)")
        let expected = sent.filter { !sent.prefix(count).contains($0) }
        #expect(difference(packets, expected) == nil)
        #expect(Set(packets).isDisjoint(with: had))
    }

    @Test func aReceiverWithOneStreamOnlyGetsTheOtherFromThatPointOn() throws {
        let (feed, sent) = Self.feed(steps: 0..<40)
        let lastAudio = try #require(sent[..<50].last { !$0.isVideo })
        let resumed = FeedCursor(resuming: ResumePoint(streams: [.init(ssrc: lastAudio.ssrc, sequence: lastAudio.sequence)]), in: feed, lagThreshold: 20)
        var cursor = try #require(resumed)
        let (packets, _) = Self.drain(&cursor, feed)
        let from = sent.firstIndex(of: lastAudio)! + 1
        #expect(difference(packets, Array(sent[from...])) == nil)
    }

    @Test func aGapLongerThanTheFeedStartsAfresh() throws {
        let (feed, sent) = Self.feed(steps: 0..<400, capacity: 64)
        let tooOld = FeedCursor(resuming: Self.point(after: sent.prefix(10)), in: feed, lagThreshold: 20)
        #expect(tooOld == nil)
        // A stream the feed never carried: no resume either.
        let unknown = FeedCursor(resuming: ResumePoint(streams: [.init(ssrc: 0xDEAD, sequence: 1)]), in: feed, lagThreshold: 20)
        #expect(unknown == nil)
    }

    @Test func aNewRelayLinkGetsAllTheFeedHolds() throws {
        let (feed, sent) = Self.feed(steps: 0..<400, capacity: 64)
        let resumed = FeedCursor(resuming: ResumePoint(streams: []), in: feed, lagThreshold: 20)
        var cursor = try #require(resumed)
        let (packets, notices) = Self.drain(&cursor, feed)
        #expect(notices.isEmpty)
        #expect(difference(packets, Array(sent.suffix(64))) == nil)
    }

    @Test func theFeedSaysWhereARelayLinkResumes() throws {
        let (feed, sent) = Self.feed(steps: 0..<30)
        let point = try #require(feed.resumePoint)
        #expect(Set(point.streams.map(\.ssrc)) == [TestStream.audioSSRC, TestStream.videoSSRC])
        #expect(point == Self.point(after: sent[...]))
        #expect(ChannelFeed(capacity: 16).resumePoint == nil)
        let resumed = FeedCursor(resuming: point, in: feed, lagThreshold: 20)
        var cursor = try #require(resumed)
        #expect(Self.drain(&cursor, feed).packets.isEmpty)
    }

    @Test func aResumedReaderThatFallsFurtherBehindStillLosesItsVideo() throws {
        var feed = ChannelFeed(capacity: 1024)
        var stream = TestStream()
        var sent: [ReceivedPacket] = []
        func broadcast(_ steps: Range<Int>) throws {
            for step in steps {
                for packet in stream.next(step: step) {
                    feed.append(FeedEntry(packet, header: try #require(RTPHeaderView(packet)), allocator: ByteBufferAllocator()))
                    sent.append(ReceivedPacket(packet)!)
                }
            }
        }
        try broadcast(0..<60)
        // It resumes about 60 packets behind live, with a threshold of 20: the catch-up is allowed...
        let resumed = FeedCursor(resuming: Self.point(after: sent.prefix(30)), in: feed, lagThreshold: 20)
        var cursor = try #require(resumed)
        var notices: [FeedCursor.Notice] = []
        for _ in 0..<5 { _ = cursor.next(in: feed, notices: &notices) }
        #expect(notices.isEmpty)
        // ...but a reader that then falls behind by more than the gap and the threshold is slow.
        try broadcast(60..<120)
        _ = cursor.next(in: feed, notices: &notices)
        #expect(notices.contains { if case .videoSkipped = $0 { true } else { false } }, "\(notices)")
    }
}

/// A resuming receiver that reaches a unit before its feed does waits for the feed.
struct ResumeWaitTests {
    @Test func aFeedBehindTheReceiverIsWaitedForUntilItReachesEveryStream() {
        let (feed, sent) = FeedCursorResumeTests.feed(steps: 0..<20)
        let ahead = ResumePoint(streams: [
            .init(ssrc: TestStream.audioSSRC, sequence: 25), .init(ssrc: TestStream.videoSSRC, sequence: 40),
        ])
        #expect(ResumeWait.feedIsBehind(feed, ahead))
        #expect(ResumeWait.feedIsBehind(ChannelFeed(capacity: 16), ahead))
        #expect(!ResumeWait.feedIsBehind(feed, FeedCursorResumeTests.point(after: sent.prefix(10))))
        var wait = ResumeWait(session: SessionID(1), point: ahead, now: .now())
        let audioReached = wait.reached(ssrc: TestStream.audioSSRC, sequence: 25)
        let videoBefore = wait.reached(ssrc: TestStream.videoSSRC, sequence: 39)
        // Past the point without the packet itself (lost upstream) ends the wait too.
        let videoPast = wait.reached(ssrc: TestStream.videoSSRC, sequence: 41)
        #expect(!audioReached && !videoBefore && videoPast)
    }
}
