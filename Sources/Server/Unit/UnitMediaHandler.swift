import NIOCore

/// The unit's UDP media port: binds and broadcaster media in, fan-out out.
final class UnitMediaHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let unit: Unit

    init(unit: Unit) {
        self.unit = unit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        unit.udpDatagram(envelope.data, from: envelope.remoteAddress)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        unit.flushMedia()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A send to a viewer that went away (ECONNREFUSED from ICMP) must not stop the port.
        unit.logger.debug("media port: \(error)")
    }
}
