import DataPlane
import NIOCore
import TestSupport
import Testing
import Wire

/// A channel's packet path without a unit or a socket: packets and time in, the send plan and
/// the TCP receivers' writes out.
struct ChannelRouterTests {
    static let start = NIODeadline.uptimeNanoseconds(1_000_000_000)

    static func router(offload: Bool = true, feedCapacity: Int = 1024) -> (ChannelRouter, RouterOutbox) {
        let outbox = RouterOutbox()
        let settings = ChannelRouter.Settings(
            segmentationOffload: offload, tcpBatchInterval: .milliseconds(40), sendingLoops: 1, threadTime: { .zero })
        return (ChannelRouter(channel: 1, feedCapacity: feedCapacity, settings: settings, outbox: outbox), outbox)
    }

    static func address(_ index: Int) -> SocketAddress { try! SocketAddress(ipAddress: "127.0.0.1", port: 40_000 + index) }

    /// Routes `steps` of the tests' stream, 20 ms apart, ending each step's read batch.
    @discardableResult
    static func route(_ router: ChannelRouter, _ outbox: RouterOutbox, _ stream: inout TestStream, steps: Range<Int>) -> [ByteBuffer] {
        var sent: [ByteBuffer] = []
        for step in steps {
            for packet in stream.next(step: step) {
                _ = router.ingest(packet, now: start + .milliseconds(Int64(20 * step)))
                sent.append(packet)
            }
            outbox.sendVideoBatches()
        }
        return sent
    }

    @Test func everyUDPReceiverGetsEveryPacketAndAFrameIsOneMessageEach() {
        for offload in [true, false] {
            let (router, outbox) = Self.router(offload: offload)
            var stream = TestStream(keyframeInterval: 1)
            let before = Self.route(router, outbox, &stream, steps: 0..<2)  // a keyframe in the feed: receivers flow at once
            outbox.udp.reset()
            for index in 0..<3 { router.addUDP(SessionID(UInt64(index + 1)), at: Self.address(index), awaitingKeyframe: false) }
            let sent = Self.route(router, outbox, &stream, steps: 2..<12)
            #expect(outbox.udp.datagrams == sent.count * 3, "offload \(offload)")
            #expect(outbox.takeCounters().packetsIn == UInt64(before.count + sent.count))
        }
    }

    @Test func aReceiverJoiningBeforeAnyKeyframeGetsAudioUntilOneStarts() {
        var later = TestStream(keyframeInterval: 1_000)
        _ = later.next(step: 0)  // the stream's first frame is its keyframe: from the next on, none
        let (fresh, freshOutbox) = Self.router()
        let awaiting = fresh.startUDP(1, at: Self.address(1), from: FeedCursor(joining: fresh.feed, lagThreshold: .max / 2))
        #expect(awaiting)
        let sent = Self.route(fresh, freshOutbox, &later, steps: 1..<6)
        let audio = sent.filter { RTPHeaderView($0)?.ssrc == TestStream.audioSSRC }.count
        #expect(freshOutbox.udp.datagrams == audio, "audio only while the video waits for a keyframe")
        #expect(fresh.fanOut.udpAwaitingKeyframe.count == 1)
    }

    @Test func caughtUpTCPReceiversShareOneWriteABatch() throws {
        let (router, outbox) = Self.router()
        var stream = TestStream(keyframeInterval: 1)
        Self.route(router, outbox, &stream, steps: 0..<1)
        let receivers = (1...2).map { RecordingReceiver(id: SessionID(UInt64($0))) }
        for receiver in receivers { router.startTCP(receiver, from: FeedCursor(resumingIn: router.feed, lagThreshold: 500)) }
        _ = outbox.takeCounters()
        let sent = Self.route(router, outbox, &stream, steps: 1..<4)
        router.sendTCPBatch(now: Self.start + .seconds(1))
        let expected = try sent.map { try #require(ReceivedPacket($0)) }
        for receiver in receivers {
            #expect(difference(Array(receiver.packets.suffix(expected.count)), expected) == nil)
        }
        #expect(receivers[0].writes.last == receivers[1].writes.last, "one chunk for both")
        #expect(outbox.takeCounters().tcpWrites >= 2)
    }

    @Test func theBatchTimerOnlyMovesEarlierAndAFrameEndWritesAtOnce() {
        let (router, _) = Self.router()
        let receiver = RecordingReceiver(id: 1)
        router.startTCP(receiver, from: FeedCursor(joining: router.feed, lagThreshold: 500))
        var video = RTPSender(payloadType: RTPPayloadFormat.vp8.payloadType, firstSequenceNumber: 0)
        let middle = video.packet(payload: [0x10, 0, 0, 0], timestamp: 0, marker: false, capturedAt: .now)
        let first = router.ingest(middle, now: Self.start)
        #expect(first?.timer == .schedule(Self.start + .milliseconds(40)))
        #expect(router.ingest(video.packet(payload: [0, 0, 0, 0], timestamp: 0, marker: false, capturedAt: .now), now: Self.start + .milliseconds(5))?.timer == .unchanged)
        let end = router.ingest(video.packet(payload: [0, 0, 0, 0], timestamp: 0, marker: true, capturedAt: .now), now: Self.start + .milliseconds(10))
        #expect(end?.timer == .cancel)
        #expect(receiver.packets.count == 3)
    }

    @Test func aTCPReceiverThatCannotTakeMoreLosesItsVideoThenGetsItBackAtAKeyframe() {
        let (router, outbox) = Self.router()
        var stream = TestStream(keyframeInterval: 10)
        Self.route(router, outbox, &stream, steps: 0..<1)
        let receiver = RecordingReceiver(id: 1)
        router.startTCP(receiver, from: FeedCursor(resumingIn: router.feed, lagThreshold: 20))
        receiver.isWritable = false
        Self.route(router, outbox, &stream, steps: 1..<20)
        router.sendTCPBatch(now: Self.start + .seconds(1))
        receiver.isWritable = true
        router.pump(receiver)
        #expect(receiver.notices.contains { if case .videoSkipped = $0 { true } else { false } })
        Self.route(router, outbox, &stream, steps: 20..<60)
        router.sendTCPBatch(now: Self.start + .seconds(2))
        #expect(receiver.notices.contains(.videoResuming))
        #expect(receiver.packets.suffix(30).contains { $0.isVideo }, "video back from a keyframe")
    }

    @Test func aResumingReceiverWaitsUntilTheFeedReachesWhereItLeftOff() {
        let (router, outbox) = Self.router()
        var stream = TestStream()
        Self.route(router, outbox, &stream, steps: 0..<2)
        let point = ResumePoint(streams: [.init(ssrc: TestStream.audioSSRC, sequence: 4)])
        guard case .waiting = router.resumption(of: 7, from: point, lagThreshold: 100, now: Self.start) else {
            Issue.record("a feed behind the receiver is waited for")
            return
        }
        var ended: [(session: SessionID, timedOut: Bool)] = []
        for step in 2..<8 {
            for packet in stream.next(step: step) { ended += router.ingest(packet, now: Self.start)?.endedWaits ?? [] }
        }
        #expect(ended.count == 1 && ended[0].session == 7 && !ended[0].timedOut)
    }

    @Test func aPacketNoFeedCanTakeIsCountedAndGoesNowhere() {
        let (router, outbox) = Self.router()
        router.addUDP(1, at: Self.address(1), awaitingKeyframe: false)
        #expect(router.ingest(ByteBuffer(bytes: [0x80, 1, 2]), now: Self.start) == nil)
        #expect(outbox.udp.isEmpty)
        #expect(outbox.takeCounters().droppedMalformed == 1)
    }
}

/// A TCP receiver that keeps what it is written and told.
final class RecordingReceiver: TCPReceiver {
    let id: SessionID
    var cursor: FeedCursor?
    var isOpen = true
    var isWritable = true
    var pumpBudget = Int.max
    private(set) var writes: [ByteBuffer] = []
    private(set) var notices: [FeedCursor.Notice] = []

    init(id: SessionID) { self.id = id }

    func write(_ bytes: ByteBuffer, packets: Int) { writes.append(bytes) }
    func notice(_ notice: FeedCursor.Notice) { notices.append(notice) }
    func prefetchForBatch() {}

    /// Every packet written, unframed (RFC 4571: a 16-bit length before each).
    var packets: [ReceivedPacket] {
        var all: [ReceivedPacket] = []
        for var chunk in writes {
            while let length = chunk.readInteger(as: UInt16.self), let packet = chunk.readSlice(length: Int(length)) {
                if let received = ReceivedPacket(packet) { all.append(received) }
            }
        }
        return all
    }
}
