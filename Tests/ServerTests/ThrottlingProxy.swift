import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A TCP proxy on loopback that can stop reading from the server it forwards to, as a slow
/// client's network would: the server's socket and queue fill while the client still sends.
final class ThrottlingProxy: Sendable {
    private let listener: Channel
    private let upstreams = NIOLockedValueBox<[Channel]>([])
    private let paused = NIOLockedValueBox(false)
    /// Where it forwards to; set before the first connection.
    let target = NIOLockedValueBox(0)

    var port: Int { listener.localAddress?.port ?? 0 }

    init() async throws {
        let upstreams = self.upstreams, paused = self.paused, target = self.target
        listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.autoRead, value: true)
            .childChannelInitializer { client in
                ClientBootstrap(group: client.eventLoop)
                    // A small receive buffer: pausing stops the server's sends soon.
                    .channelOption(.socketOption(.so_rcvbuf), value: 4096)
                    .connect(host: "127.0.0.1", port: target.withLockedValue { $0 })
                    .flatMap { server in
                        upstreams.withLockedValue { $0.append(server) }
                        if paused.withLockedValue({ $0 }) { server.setOption(.autoRead, value: false).whenComplete { _ in } }
                        return server.pipeline.addHandler(Forward(to: client)).flatMap { client.pipeline.addHandler(Forward(to: server)) }
                    }
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    final class Forward: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let peer: Channel
        init(to peer: Channel) { self.peer = peer }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { peer.write(Self.unwrapInboundIn(data), promise: nil) }
        func channelReadComplete(context: ChannelHandlerContext) { peer.flush() }
        func channelInactive(context: ChannelHandlerContext) { peer.close(promise: nil) }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }

    /// Stops (or starts again) reading what the server sends.
    func pause(_ on: Bool) async throws {
        paused.withLockedValue { $0 = on }
        for server in upstreams.withLockedValue({ $0 }) { try await server.setOption(.autoRead, value: !on).get() }
    }

    func close() async {
        for server in upstreams.withLockedValue({ $0 }) { try? await server.close() }
        try? await listener.close()
    }
}
