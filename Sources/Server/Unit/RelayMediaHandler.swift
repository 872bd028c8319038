import NIOCore

/// The UDP socket of a relay link: media from the parent unit.
final class RelayMediaHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let link: RelayLink

    init(link: RelayLink) {
        self.link = link
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        link.datagram(Self.unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        link.readComplete()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {}
}
