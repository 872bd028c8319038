import NIOCore

/// The unit's end of a control link to a CSM.
final class CSMLinkHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let link: CSMLink

    init(link: CSMLink) {
        self.link = link
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        link.received(Self.unwrapInboundIn(data))
    }

    func channelInactive(context: ChannelHandlerContext) {
        link.disconnected()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
