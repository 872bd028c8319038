import DataPlane
import Glibc
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing

@testable import Server

/// The session port's direct writes over a real TCP connection: a chunk goes straight to the
/// socket while nothing waits in NIO, and NIO takes over (the rest of a chunk the kernel did not
/// take, and everything after it) while anything does, so a reader that stops and resumes gets
/// every byte once and in order, whichever way each write went.
@Suite(.serialized) struct DirectWriteTests {
    /// Chunk `index`: its number in every 4-byte word, so any reordering or loss shows.
    static func chunk(_ index: UInt32, words: Int) -> ByteBuffer {
        var buffer = ByteBuffer()
        for _ in 0..<words { buffer.writeInteger(index) }
        return buffer
    }

    @Test func aReaderThatStopsAndResumesGetsEveryByteInOrder() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let accepted = NIOLockedValueBox<Channel?>(nil)
        let listener = try SessionListener(
            host: "127.0.0.1", port: 0, loops: [loop], logger: Logger(label: "test"),
            configure: { $0.channelOption(.socketOption(.so_sndbuf), value: 64 << 10) },
            initializer: { channel in
                accepted.withLockedValue { $0 = channel }
                return channel.eventLoop.makeSucceededVoidFuture()
            })
        let received = NIOLockedValueBox(ByteBuffer())
        let client = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.so_rcvbuf), value: 64 << 10)
            .channelOption(.autoRead, value: false)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(received)) }
            }
            .connect(host: "127.0.0.1", port: listener.port).get()
        var server: Channel?
        for _ in 0..<100 where server == nil {
            server = accepted.withLockedValue { $0 }
            if server == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        let channel = try #require(server)

        // 600 chunks of 4 KB (2.4 MB, far more than both socket buffers) while the client reads
        // nothing: every fourth through the pipeline, the rest straight when they can be.
        let chunks = 600
        let counts = try await loop.submit {
            let direct = try channel.pipeline.syncOperations.handler(type: DirectWriteHandler.self)
            for index in 0..<UInt32(chunks) {
                if index % 4 == 3 {
                    channel.write(Self.chunk(index, words: 1024), promise: nil)
                } else if direct.write(Self.chunk(index, words: 1024)) {
                    channel.flush()
                }
            }
            channel.flush()
            return (direct.directWrites, direct.queuedWrites)
        }.get()
        #expect(counts.0 > 0 && counts.1 > 0, "direct \(counts.0), through NIO \(counts.1)")

        try await client.setOption(.autoRead, value: true).get()
        client.read()
        let expected = chunks * 4096
        for _ in 0..<200 where received.withLockedValue({ $0.readableBytes }) < expected { try await Task.sleep(for: .milliseconds(20)) }
        var bytes = received.withLockedValue { $0 }
        #expect(bytes.readableBytes == expected)
        var index: UInt32 = 0
        var word = 0
        var mismatch: String?
        while let value = bytes.readInteger(as: UInt32.self) {
            if value != index, mismatch == nil { mismatch = "word \(word) is from chunk \(value), wanted \(index)" }
            word += 1
            if word % 1024 == 0 { index += 1 }
        }
        #expect(mismatch == nil)
        try await client.close()
        listener.close()
        try await group.shutdownGracefully()
    }

    final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let received: NIOLockedValueBox<ByteBuffer>
        init(_ received: NIOLockedValueBox<ByteBuffer>) { self.received = received }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = Self.unwrapInboundIn(data)
            received.withLockedValue { $0.writeBuffer(&buffer) }
        }
    }

    /// The handler alone in an embedded pipeline, its descriptor one end of a socket pair: a
    /// chunk goes straight to the socket only while nothing written through the pipeline is
    /// still unwritten, and waits behind it otherwise.
    @Test func aChunkWaitsBehindWhatThePipelineHasNotWrittenYet() throws {
        var pair: [CInt] = [0, 0]
        #expect(socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0)
        defer { Glibc.close(pair[1]) }
        let channel = EmbeddedChannel()
        let direct = DirectWriteHandler(descriptor: pair[0])
        try channel.pipeline.syncOperations.addHandler(direct)

        #expect(direct.write(Self.chunk(1, words: 4)) == false)  // straight to the socket: no flush needed
        channel.write(Self.chunk(2, words: 4), promise: nil)      // through the pipeline, not flushed yet
        #expect(direct.write(Self.chunk(3, words: 4)) == true)   // so this one waits behind it
        #expect(direct.directWrites == 1 && direct.queuedWrites == 1)
        channel.flush()
        // The pipeline got 2 then 3, in order; the socket only 1.
        #expect(try channel.readOutbound(as: ByteBuffer.self)?.getInteger(at: 0, as: UInt32.self) == 2)
        #expect(try channel.readOutbound(as: ByteBuffer.self)?.getInteger(at: 0, as: UInt32.self) == 3)
        var bytes = [UInt8](repeating: 0, count: 64)
        #expect(recv(pair[1], &bytes, 64, Int32(MSG_DONTWAIT)) == 16 && bytes[3] == 1)
        // Written out, the pipeline holds nothing: straight to the socket again.
        #expect(direct.write(Self.chunk(4, words: 4)) == false)
        #expect(recv(pair[1], &bytes, 64, Int32(MSG_DONTWAIT)) == 16 && bytes[3] == 4)
        _ = try channel.finish()
    }
}
