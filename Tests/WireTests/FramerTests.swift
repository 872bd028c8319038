import NIOCore
import Testing

@testable import Wire

@Suite struct FramerTests {
    /// Feeds `stream` to the framer in pieces of `chunk` bytes and collects every frame.
    static func frames(of stream: [UInt8], chunk: Int, framer: LengthPrefixedFramer) throws -> [[UInt8]] {
        var buffer = ByteBuffer()
        var frames: [[UInt8]] = []
        var offset = 0
        while offset < stream.count {
            buffer.writeBytes(stream[offset..<min(offset + chunk, stream.count)])
            offset += chunk
            while let frame = try framer.nextFrame(from: &buffer) { frames.append(Array(frame.readableBytesView)) }
        }
        #expect(buffer.readableBytes == 0)
        return frames
    }

    @Test(arguments: [LengthPrefixedFramer.rfc4571, .control])
    func decodesOneByteAtATimeAndInBatches(framer: LengthPrefixedFramer) throws {
        let frames: [[UInt8]] = [[1, 2, 3], [], [UInt8](repeating: 0xAB, count: 1500), [0x80]]
        var stream = ByteBuffer()
        for frame in frames { try framer.write(bytes: frame, to: &stream) }
        let bytes = Array(stream.readableBytesView)
        for chunk in [1, 2, 3, 7, 1000, bytes.count] {
            #expect(try Self.frames(of: bytes, chunk: chunk, framer: framer) == frames)
        }
    }

    @Test func rfc4571UsesATwoByteLength() throws {
        var stream = ByteBuffer()
        try LengthPrefixedFramer.rfc4571.write(bytes: [0x80, 0x60], to: &stream)
        #expect(Array(stream.readableBytesView) == [0x00, 0x02, 0x80, 0x60])
        #expect(throws: WireError.frameTooLarge(size: 65536, limit: 65535)) {
            try LengthPrefixedFramer.rfc4571.write(bytes: [UInt8](repeating: 0, count: 65536), to: &stream)
        }
    }

    @Test func rejectsAnOversizedLengthBeforeItsBytesArrive() {
        let framer = LengthPrefixedFramer(lengthField: .fourBytes, maxFrameSize: 100)
        var buffer = ByteBuffer(bytes: [0, 0, 0, 101])
        #expect(throws: WireError.frameTooLarge(size: 101, limit: 100)) { try framer.nextFrame(from: &buffer) }
        var huge = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: WireError.self) { try LengthPrefixedFramer.control.nextFrame(from: &huge) }
    }

    @Test func sessionFramesTellMediaFromMessages() throws {
        let rtp = RTPPacket(payloadType: 111, sequenceNumber: 1, timestamp: 2, ssrc: 3, payload: ByteBuffer(bytes: [0xFC]))
        var stream = ByteBuffer()
        try SessionFrame.media(rtp.encoded()).write(to: &stream)
        try SessionFrame.message(.chat(ChatLine(from: "ann", text: "hi", sentAtMilliseconds: 5))).write(to: &stream)
        let bytes = Array(stream.readableBytesView)
        for chunk in [1, 5, bytes.count] {
            let frames = try Self.frames(of: bytes, chunk: chunk, framer: .rfc4571).map { try SessionFrame(frame: ByteBuffer(bytes: $0)) }
            #expect(frames == [.media(rtp.encoded()), .message(.chat(ChatLine(from: "ann", text: "hi", sentAtMilliseconds: 5)))])
        }
        #expect(throws: WireError.self) { try SessionFrame(frame: ByteBuffer()) }
        #expect(throws: WireError.self) { try SessionFrame(frame: ByteBuffer(string: "{\"nope\":1}")) }
    }
}
