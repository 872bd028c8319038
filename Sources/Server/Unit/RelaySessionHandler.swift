import NIOCore

/// The TCP session of a relay link, from the child's side.
final class RelaySessionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let link: RelayLink

    init(link: RelayLink) {
        self.link = link
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        link.received(Self.unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        link.readComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        link.linkBroke("the parent unit closed the session")
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
