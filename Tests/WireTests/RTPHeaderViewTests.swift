import NIOCore
import Testing

@testable import Wire

@Suite struct RTPHeaderViewTests {
    @Test func theViewReadsWhatTheFullParserReads() throws {
        var sender = RTPSender(payloadType: 111, ssrc: 0xDEAD_BEEF, firstSequenceNumber: 65_535)
        let capture = CaptureTime(microsecondsSinceEpoch: 1_795_000_000_123_456)
        for payload in [[UInt8](), [1, 2, 3]] {
            let buffer = sender.packet(payload: payload, timestamp: 960, capturedAt: capture)
            let view = try #require(RTPHeaderView(buffer))
            let packet = try RTPPacket(parsing: buffer)
            #expect(view.payloadType == packet.payloadType && view.sequenceNumber == packet.sequenceNumber && view.ssrc == packet.ssrc)
            #expect(view.timestamp == packet.timestamp && view.timestamp == 960)
            #expect(view.captureTime == capture)
            #expect(buffer.readableBytes - view.payloadOffset == payload.count)
        }
        // With CSRCs, another element before it, and no extension at all.
        let other = try RTPHeaderExtension(elements: [RTPHeaderExtensionElement(id: 3, data: [9]), capture.element])
        let busy = RTPPacket(payloadType: 96, sequenceNumber: 7, timestamp: 0, ssrc: 5, csrcs: [1, 2], headerExtension: other, payload: ByteBuffer(bytes: [0xAA])).encoded()
        #expect(RTPHeaderView(busy)?.captureTime == capture)
        #expect(RTPHeaderView(busy)?.payloadOffset == busy.readableBytes - 1)
        let marked = RTPPacket(payloadType: 96, marker: true, sequenceNumber: 8, timestamp: 0, ssrc: 5, payload: ByteBuffer(bytes: [0xAA])).encoded()
        #expect(RTPHeaderView(marked)?.marker == true && RTPHeaderView(busy)?.marker == false)
        let bare = RTPPacket(payloadType: 96, sequenceNumber: 7, timestamp: 0, ssrc: 5, payload: ByteBuffer(bytes: [0xAA])).encoded()
        #expect(RTPHeaderView(bare)?.captureTime == nil)
    }

    @Test func truncatedAndForeignBytesGiveNothing() {
        var sender = RTPSender(payloadType: 111)
        let whole = sender.packet(payload: [1], timestamp: 0, capturedAt: .now)
        for length in 0..<(whole.readableBytes - 1) {
            let cut = whole.getSlice(at: 0, length: length)!
            if length < 12 + 4 + 12 { #expect(RTPHeaderView(cut) == nil, "\(length) bytes") }
        }
        #expect(RTPHeaderView(ByteBuffer(bytes: [0x7B] + [UInt8](repeating: 0, count: 20))) == nil)
    }
}
