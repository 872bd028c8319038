import NIOConcurrencyHelpers
import NIOCore
import Wire

/// The client's end of a session: hands the unit's frames to the session's state machine (media
/// of the open session straight on), carries out what it decides, and tells `SessionClient` when
/// the session opened or ended.
final class ClientSessionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private let machine: NIOLockedValueBox<SessionClientStateMachine>
    private let opened: EventLoopPromise<SessionOpened>
    private let events: AsyncStream<SessionEvent>.Continuation
    private let sink: MediaSink?
    /// Set once the session is open: media then needs no lock.
    private var isOpen = false

    init(
        machine: NIOLockedValueBox<SessionClientStateMachine>, opened: EventLoopPromise<SessionOpened>,
        events: AsyncStream<SessionEvent>.Continuation, sink: MediaSink?
    ) {
        self.machine = machine
        self.opened = opened
        self.events = events
        self.sink = sink
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        if isOpen, SessionFrame.isMedia(frame) {
            if let sink { sink(frame, .tcp) } else { events.yield(.media(frame, via: .tcp)) }
            return
        }
        let actions = machine.withLockedValue { $0.received(frame, now: .now) }
        for action in actions {
            switch action {
            case .send(let message):
                var buffer = context.channel.allocator.buffer(capacity: 256)
                if (try? SessionFrame.message(message).write(to: &buffer)) != nil { context.writeAndFlush(NIOAny(buffer), promise: nil) }
            case .opened(let answer):
                isOpen = true
                opened.succeed(answer)
            case .deliver(let message):
                events.yield(.message(message))
            case .close(let error):
                opened.fail(ClientError.refused(error.description))
                events.yield(.closed(ClientError.refused(error.description)))
                context.close(promise: nil)
            case .sendBind, .bound, .bindTimedOut:
                break  // UDP: the media socket's and `bindUDP`'s
            }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        machine.withLockedValue { $0.disconnected() }
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
