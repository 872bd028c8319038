import NIOCore
import Testing

@testable import Wire

@Suite struct RTPPacketTests {
    /// A WebRTC packet with a one-byte header extension, fields as tshark decodes them:
    /// PT 45, seq 6751, ts 3557360969, SSRC 0xf7b16e83, profile 0xbede, length 3 words,
    /// elements 2 (f34350), 4 (009b), 13 (810045), then one byte of extension padding.
    static let tsharkOneByte: [UInt8] = [
        0x90, 0x2d, 0x1a, 0x5f, 0xd4, 0x09, 0x05, 0x49, 0xf7, 0xb1, 0x6e, 0x83, 0xbe, 0xde, 0x00, 0x03,
        0x22, 0xf3, 0x43, 0x50, 0x41, 0x00, 0x9b, 0xd2, 0x81, 0x00, 0x45, 0x00,
    ]

    /// Two-byte form: PT 45, seq 25029, ts 2500464622, SSRC 0x8d3814e5, profile 0x1000, 17 words.
    static let tsharkTwoByte: [UInt8] =
        [0x90, 0x2d, 0x61, 0xc5, 0x95, 0x0a, 0x0f, 0xee, 0x8d, 0x38, 0x14, 0xe5, 0x10, 0x00, 0x00, 0x11]
        + [0x02, 0x03, 0x03, 0xf7, 0xae, 0x04, 0x02, 0x00, 0x02, 0x09, 0x01, 0x30, 0x03, 0x01, 0x00, 0x06, 0x01, 0x02]
        + [0x07, 0x0d, 0x01, 0x00, 0x01, 0x00, 0x07, 0x00, 0x07, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00]
        + [0x0d, 0x21, 0xc0, 0x00, 0x01, 0x80, 0x03, 0x18, 0x7a, 0xaa, 0xf1, 0x30, 0xa0, 0xa0, 0x14, 0xd1]
        + [0x41, 0x38, 0x23, 0x04, 0x60, 0x08, 0x64, 0x22, 0x22, 0x26, 0x50, 0x09, 0xf0, 0x07, 0x70, 0x13, 0xf0, 0x0e, 0xf0]

    @Test func parsesTsharkDecodedOneBytePacket() throws {
        let packet = try RTPPacket(parsing: ByteBuffer(bytes: Self.tsharkOneByte))
        #expect(packet.payloadType == 45)
        #expect(!packet.marker)
        #expect(packet.sequenceNumber == 6751)
        #expect(packet.timestamp == 3_557_360_969)
        #expect(packet.ssrc == 0xf7b1_6e83)
        #expect(packet.csrcs.isEmpty)
        #expect(packet.payload.readableBytes == 0)
        let elements = try #require(packet.headerExtension).elements()
        #expect(elements == [
            RTPHeaderExtensionElement(id: 2, data: [0xf3, 0x43, 0x50]),
            RTPHeaderExtensionElement(id: 4, data: [0x00, 0x9b]),
            RTPHeaderExtensionElement(id: 13, data: [0x81, 0x00, 0x45]),
        ])
        #expect(Array(packet.encoded().readableBytesView) == Self.tsharkOneByte)
    }

    @Test func parsesTsharkDecodedTwoBytePacket() throws {
        let packet = try RTPPacket(parsing: ByteBuffer(bytes: Self.tsharkTwoByte))
        #expect(packet.sequenceNumber == 25029)
        #expect(packet.timestamp == 2_500_464_622)
        #expect(packet.ssrc == 0x8d38_14e5)
        let elements = try #require(packet.headerExtension).elements()
        #expect(elements.map(\.id) == [2, 4, 9, 3, 6, 7, 13])
        #expect(elements.map(\.data.count) == [3, 2, 1, 1, 1, 13, 33])
        #expect(elements[0].data == [0x03, 0xf7, 0xae])
        #expect(Array(packet.encoded().readableBytesView) == Self.tsharkTwoByte)
    }

    @Test func roundTripsEveryField() throws {
        let packet = RTPPacket(
            payloadType: 96, marker: true, sequenceNumber: 0xFFFF, timestamp: 0xDEAD_BEEF, ssrc: 42,
            csrcs: [1, 2, 3], headerExtension: try RTPHeaderExtension(elements: [CaptureTime(microsecondsSinceEpoch: 1_700_000_000_123_456).element]),
            payload: ByteBuffer(bytes: [9, 8, 7, 6, 5]), paddingCount: 3)
        let bytes = packet.encoded()
        #expect(bytes.readableBytes == packet.encodedSize)
        #expect(bytes.getInteger(at: 0, as: UInt8.self) == 0xB3)  // V=2 P=1 X=1 CC=3
        let parsed = try RTPPacket(parsing: bytes)
        #expect(parsed == packet)
        #expect(parsed.captureTime == CaptureTime(microsecondsSinceEpoch: 1_700_000_000_123_456))
    }

    @Test func rejectsMalformedPackets() {
        #expect(throws: WireError.truncated(what: "RTP header", needed: 12, available: 3)) {
            try RTPPacket(parsing: ByteBuffer(bytes: [0x80, 0, 0]))
        }
        #expect(throws: WireError.unsupportedRTPVersion(1)) {
            try RTPPacket(parsing: ByteBuffer(bytes: [0x40] + [UInt8](repeating: 0, count: 11)))
        }
        // Padding count larger than what follows the header.
        #expect(throws: WireError.invalidPadding(count: 9, available: 2)) {
            try RTPPacket(parsing: ByteBuffer(bytes: [0xA0] + [UInt8](repeating: 0, count: 11) + [1, 9]))
        }
        // Padding flag with a zero count.
        #expect(throws: WireError.invalidPadding(count: 0, available: 1)) {
            try RTPPacket(parsing: ByteBuffer(bytes: [0xA0] + [UInt8](repeating: 0, count: 11) + [0]))
        }
        // Four CSRCs announced, one present.
        #expect(throws: WireError.self) {
            try RTPPacket(parsing: ByteBuffer(bytes: [0x84] + [UInt8](repeating: 0, count: 15)))
        }
        // An extension claiming 0xFFFF words.
        #expect(throws: WireError.self) {
            try RTPPacket(parsing: ByteBuffer(bytes: [0x90] + [UInt8](repeating: 0, count: 11) + [0xBE, 0xDE, 0xFF, 0xFF]))
        }
    }

    @Test func everyPrefixOfAValidPacketIsRejectedOrShorter() {
        let bytes = Self.tsharkTwoByte
        for length in 0..<bytes.count {
            #expect(throws: WireError.self) { try RTPPacket(parsing: ByteBuffer(bytes: bytes.prefix(length))) }
        }
    }
}
