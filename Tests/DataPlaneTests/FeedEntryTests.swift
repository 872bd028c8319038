import DataPlane
import NIOCore
import Testing
import Wire

/// What the feed knows of a packet from its payload type: audio, or video of either codec, and
/// where a picture can start (the fast start, the lag policy's "video again at a keyframe").
@Suite struct FeedEntryTests {
    static func entry(payloadType: UInt8, _ payload: [UInt8]) throws -> FeedEntry {
        var sender = RTPSender(payloadType: payloadType)
        let packet = sender.packet(payload: payload, timestamp: 0, capturedAt: CaptureTime(microsecondsSinceEpoch: 0))
        return FeedEntry(packet, header: try #require(RTPHeaderView(packet)), allocator: ByteBufferAllocator())
    }

    @Test func anH264KeyframeStartsAtItsSPSAndNowhereElse() throws {
        let h264 = RTPPayloadFormat.h264.payloadType
        let sps = try Self.entry(payloadType: h264, [0x67, 0x42, 0xC0, 0x1E])
        #expect(sps.kind == .video && sps.startsKeyframe)
        #expect(try Self.entry(payloadType: h264, [24, 0, 4, 0x67, 0x42, 0xC0, 0x1E]).startsKeyframe, "a STAP-A that opens with the SPS")
        #expect(try !Self.entry(payloadType: h264, [0x68, 0xCE, 0x3C, 0x80]).startsKeyframe, "the PPS after it")
        #expect(try !Self.entry(payloadType: h264, [0x7C, 0x85, 1, 2, 3]).startsKeyframe, "the IDR's first fragment: the SPS before it started the picture")
        #expect(try !Self.entry(payloadType: h264, [0x41, 1, 2]).startsKeyframe)
    }

    @Test func eachPayloadTypeIsItsKind() throws {
        #expect(try Self.entry(payloadType: RTPPayloadFormat.opus.payloadType, [0xFC, 1]).kind == .audio)
        let vp8Keyframe = try Self.entry(payloadType: RTPPayloadFormat.vp8.payloadType, [0x10, 0x00, 0x9D, 0x01, 0x2A])
        #expect(vp8Keyframe.kind == .video && vp8Keyframe.startsKeyframe)
        #expect(try Self.entry(payloadType: 100, [0x67]).kind == .other, "an unknown payload type starts nothing")
        #expect(try !Self.entry(payloadType: 100, [0x67]).startsKeyframe)
    }
}
