import NIOCore
import Wire

/// The client's UDP socket: bind replies (a challenge is answered at once) and media from its
/// unit, nothing from anyone else.
final class ClientMediaHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let unit: SocketAddress
    private let binding: SharedBindClient
    private let bindReplies: AsyncStream<Void>.Continuation
    private let events: AsyncStream<SessionEvent>.Continuation
    private let sink: MediaSink?

    init(
        unit: SocketAddress, binding: SharedBindClient, bindReplies: AsyncStream<Void>.Continuation,
        events: AsyncStream<SessionEvent>.Continuation, sink: MediaSink?
    ) {
        self.unit = unit
        self.binding = binding
        self.bindReplies = bindReplies
        self.events = events
        self.sink = sink
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        guard envelope.remoteAddress == unit, let first = envelope.data.getInteger(at: envelope.data.readerIndex, as: UInt8.self)
        else { return }
        if BindDatagram.isBindDatagram(firstByte: first) {
            switch binding.received(envelope.data) {
            case .sendAgain:
                if let request = binding.request { context.writeAndFlush(NIOAny(AddressedEnvelope(remoteAddress: unit, data: request)), promise: nil) }
            case .bound:
                bindReplies.yield()
            case .ignore:
                break
            }
        } else {
            if let sink { sink(envelope.data, .udp) } else { events.yield(.media(envelope.data, via: .udp)) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {}
}
