import NIOConcurrencyHelpers
import NIOCore
import Wire

/// The client's UDP socket: bind replies (through the session's state machine: a challenge is
/// answered at once) and media from its unit, nothing from anyone else.
final class ClientMediaHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>

    private let unit: SocketAddress
    private let machine: NIOLockedValueBox<SessionClientStateMachine>
    private let bindReplies: AsyncStream<Void>.Continuation
    private let events: AsyncStream<SessionEvent>.Continuation
    private let sink: MediaSink?

    init(
        unit: SocketAddress, machine: NIOLockedValueBox<SessionClientStateMachine>, bindReplies: AsyncStream<Void>.Continuation,
        events: AsyncStream<SessionEvent>.Continuation, sink: MediaSink?
    ) {
        self.unit = unit
        self.machine = machine
        self.bindReplies = bindReplies
        self.events = events
        self.sink = sink
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = Self.unwrapInboundIn(data)
        guard envelope.remoteAddress == unit, let first = envelope.data.getInteger(at: envelope.data.readerIndex, as: UInt8.self)
        else { return }
        guard BindDatagram.isBindDatagram(firstByte: first) else {
            if let sink { sink(envelope.data, .udp) } else { events.yield(.media(envelope.data, via: .udp)) }
            return
        }
        for action in machine.withLockedValue({ $0.bindDatagram(envelope.data, now: .now) }) {
            switch action {
            case .sendBind(let request): context.writeAndFlush(NIOAny(AddressedEnvelope(remoteAddress: unit, data: request)), promise: nil)
            case .bound: bindReplies.yield()
            default: break
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {}
}
