import NIOCore
import Wire

/// The client's end of a session: waits for the unit's hello and the open answer, then hands
/// every frame on as a `SessionEvent`.
final class ClientSessionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private enum Phase { case awaitingHello, awaitingOpen, open }

    private var phase = Phase.awaitingHello
    private let opened: EventLoopPromise<SessionOpened>
    private let events: AsyncStream<SessionEvent>.Continuation
    private let sink: MediaSink?

    init(opened: EventLoopPromise<SessionOpened>, events: AsyncStream<SessionEvent>.Continuation, sink: MediaSink?) {
        self.opened = opened
        self.events = events
        self.sink = sink
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        do {
            switch phase {
            case .awaitingHello:
                // A unit that cannot take the session says why before its hello.
                if case .message(.error(let error))? = try? SessionFrame(frame: frame) {
                    opened.fail(ClientError.refused(error.description))
                    context.close(promise: nil)
                    return
                }
                _ = try ControlCoder.decodeHello(from: frame)
                phase = .awaitingOpen
            case .awaitingOpen:
                switch try SessionFrame(frame: frame) {
                case .message(.opened(let answer)):
                    phase = .open
                    opened.succeed(answer)
                case .message(.error(let error)):
                    opened.fail(ClientError.refused(error.description))
                    context.close(promise: nil)
                default:
                    break
                }
            case .open:
                switch try SessionFrame(frame: frame) {
                case .media(let packet):
                    if let sink { sink(packet, .tcp) } else { events.yield(.media(packet, via: .tcp)) }
                case .message(let message): events.yield(.message(message))
                }
            }
        } catch {
            opened.fail(error)
            events.yield(.closed(error))
            context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        opened.fail(ClientError.closedBeforeOpen)
        events.yield(.closed(nil))
        events.finish()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        opened.fail(ClientError.closedBeforeOpen)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        opened.fail(error)
        events.yield(.closed(error))
        context.close(promise: nil)
    }
}
