import Logging
import NIOCore
import NIOPosix
import Wire

/// An outbound connection of a unit that speaks in length-prefixed frames: its control link to
/// a CSM, or a relay link's session with the parent unit. Lives on the unit's event loop.
protocol FrameLink: AnyObject {
    func received(_ frame: ByteBuffer)
    func readComplete()
    func disconnected()
}

extension FrameLink {
    func readComplete() {}

    /// Connects on `loop` with `framer`, handing every frame to this link. With a `handshake` the
    /// link first proves the cluster key (and checks the peer's); its first frame is then the
    /// peer's hello. Either way its queue towards the peer is capped.
    func connect(
        on loop: EventLoop, host: String, port: Int, framer: LengthPrefixedFramer, timeout: TimeAmount, logger: Logger,
        handshake: LinkHandshake? = nil
    ) -> EventLoopFuture<Channel> {
        let bound = NIOLoopBound(self, eventLoop: loop)
        return ClientBootstrap(group: loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(OutboundCapHandler(logger: logger, what: "link to \(host):\(port)"))
                    let frameLimit = handshake.map { _ in FrameSizeLimit() }
                    try sync.addHandler(ByteToMessageHandler(LengthPrefixedFrameDecoder(framer: framer, limit: frameLimit)))
                    if let handshake {
                        try sync.addHandler(LinkAuthenticationHandler(handshake: handshake, frameLimit: frameLimit, logger: logger, on: channel.eventLoop))
                    }
                    try sync.addHandler(FrameLinkHandler(link: bound.value))
                }
            }
            .connect(host: host, port: port)
    }
}

/// Hands a `FrameLink` its frames and tells it when the connection ends.
final class FrameLinkHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let link: any FrameLink

    init(link: any FrameLink) {
        self.link = link
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        link.received(Self.unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        link.readComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        link.disconnected()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
