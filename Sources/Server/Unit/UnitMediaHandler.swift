import NIOCore

/// The unit's UDP media port on the unit's own loop: binds and broadcaster media in, the
/// fan-out out (`Unit.flushMedia` sends the read batch's plan).
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

/// The media port's socket of one of the unit's other loops (`--threads`): the kernel spreads
/// arriving datagrams over the port's sockets by address, so binds and media land here too.
/// Each read batch crosses to the unit's loop once, as immutable buffers, in order.
final class MediaForwardingHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let unit: NIOLoopBound<Unit>
    private var batch: [AddressedEnvelope<ByteBuffer>] = []

    init(unit: NIOLoopBound<Unit>) {
        self.unit = unit
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        batch.append(Self.unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        guard !batch.isEmpty else { return }
        let batch = self.batch
        self.batch.removeAll(keepingCapacity: true)
        let unit = self.unit
        unit.eventLoop.execute {
            let owner = unit.value
            owner.counters.datagramsFromOtherLoops += UInt64(batch.count)
            for envelope in batch { owner.udpDatagram(envelope.data, from: envelope.remoteAddress) }
            owner.flushMedia()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // As on the unit's own loop: a refused send must not stop the port.
    }
}
