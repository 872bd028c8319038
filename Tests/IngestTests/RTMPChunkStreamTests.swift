import Ingest
import NIOCore
import Testing

@Suite struct RTMPChunkStreamTests {
    func payload(_ count: Int, seed: UInt8 = 0) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: count)
        buffer.writeBytes((0..<count).map { UInt8(truncatingIfNeeded: $0) &+ seed })
        return buffer
    }

    @Test func messagesComeBackWholeWhateverTheChunkSizeAndHoweverTheBytesArrive() throws {
        let messages = [
            RTMPMessage(.video, timestamp: 40, streamID: 1, payload: payload(10_000)),
            RTMPMessage(.audio, timestamp: 0x0100_0000, streamID: 1, payload: payload(300, seed: 7)),  // an extended timestamp
            RTMPMessage(.video, timestamp: 0x0100_0040, streamID: 1, payload: payload(129, seed: 3)),
        ]
        for chunkSize: UInt32 in [128, 1000, 4096] {
            var writer = RTMPChunkWriter()
            var wire = ByteBufferAllocator().buffer(capacity: 16_384)
            writer.write(.control(.setChunkSize, chunkSize), chunkStream: 2, into: &wire)
            for (index, message) in messages.enumerated() { writer.write(message, chunkStream: UInt8(4 + index % 2), into: &wire) }
            // Fed a few bytes at a time: a chunk not yet whole waits.
            for step in [1, 7, 500, wire.readableBytes] {
                var reader = RTMPChunkReader()
                var input = wire
                var pending = ByteBufferAllocator().buffer(capacity: 0)
                var got: [RTMPMessage] = []
                while input.readableBytes > 0 {
                    var piece = input.readSlice(length: min(step, input.readableBytes))!
                    pending.writeBuffer(&piece)
                    got += try reader.read(&pending)
                }
                #expect(pending.readableBytes == 0)
                #expect(reader.chunkSize == Int(chunkSize))
                #expect(got.filter { $0.kind != .setChunkSize } == messages, "chunk size \(chunkSize), \(step) bytes at a time")
            }
        }
    }

    @Test func theCapsRefuseWhatWouldHoldMemory() {
        // A chunk size of 2^31 - 1.
        var writer = RTMPChunkWriter()
        var huge = ByteBufferAllocator().buffer(capacity: 64)
        writer.write(.control(.setChunkSize, 0x7FFF_FFFF), chunkStream: 2, into: &huge)
        var reader = RTMPChunkReader()
        #expect(throws: RTMPError.self) { try reader.read(&huge) }
        // A message longer than taken: refused at its header, before any of it is held.
        var long = ByteBufferAllocator().buffer(capacity: 16)
        long.writeBytes([0x04, 0, 0, 0, 0xFF, 0xFF, 0xFF, 9, 1, 0, 0, 0])
        var small = RTMPChunkReader(limits: .init(maxMessageBytes: 1 << 20))
        #expect(throws: RTMPError.self) { try small.read(&long) }
        // A chunk stream that starts without a full header.
        var headless = ByteBufferAllocator().buffer(capacity: 8)
        headless.writeBytes([0x45, 0, 0, 0, 0, 0, 1, 9])
        var fresh = RTMPChunkReader()
        #expect(throws: RTMPError.self) { try fresh.read(&headless) }
        // More chunk streams under way than taken.
        var many = ByteBufferAllocator().buffer(capacity: 16_384)
        for id in 3..<63 {
            // Each a first chunk of a 256-byte message: held until the rest comes.
            many.writeBytes([UInt8(id), 0, 0, 0, 0, 1, 0, 9, 1, 0, 0, 0])
            many.writeBytes([UInt8](repeating: 0xAB, count: 128))
        }
        var few = RTMPChunkReader(limits: .init(maxChunkStreams: 8))
        #expect(throws: RTMPError.self) { try few.read(&many) }
    }

    @Test func aTypeThreeChunkStartsANewMessageWithTheLastHeader() throws {
        // Two 4-byte audio messages, 20 ms apart: a full header with a delta, then a bare type 3.
        var wire = ByteBufferAllocator().buffer(capacity: 64)
        wire.writeBytes([0x06, 0, 0, 10, 0, 0, 4, 8, 1, 0, 0, 0, 1, 2, 3, 4])
        wire.writeBytes([0x86, 0, 0, 20, 5, 6, 7, 8])
        wire.writeBytes([0xC6, 9, 10, 11, 12])
        var reader = RTMPChunkReader()
        let messages = try reader.read(&wire)
        #expect(messages.map(\.timestamp) == [10, 30, 50])
        #expect(messages.allSatisfy { $0.kind == .audio && $0.streamID == 1 && $0.payload.readableBytes == 4 })
    }
}
