import Logging
import NIOCore
import NIOHTTPTypes
import Wire

/// What bounds an HTTP port as a whole (docs/SECURITY.md): connections per client network and in
/// total, and a deadline for each request's head and body together, so neither many silent
/// connections nor a body trickled a byte at a time holds the port.
struct HTTPConnectionLimits: Sendable {
    var perNetwork = 128
    var total = 4096
    /// From the connection's start, or the end of the last answer, until the request is whole.
    var requestTimeout: Duration = AdminApplication.idleTimeout

    /// So many that one machine's load test through one port is never held back.
    static let loopbackLoad = HTTPConnectionLimits(perNetwork: 4096, total: 8192)

    /// The handlers each connection gets after HTTP decoding; one `cap` per port.
    func handlers(cap: ConnectionCap, logger: Logger, port: String) -> [any RemovableChannelHandler] {
        [cap.handler(), RequestDeadlineHandler(timeout: requestTimeout, logger: logger, port: port)]
    }
}

/// Closes a connection whose request is not whole (head and body) within `timeout` of the
/// connection opening or of the previous answer ending: body parts arriving do not count as
/// progress, as they do for an idle timer.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: Duration
    private let logger: Logger
    private let port: String
    private var deadline: Scheduled<Void>?

    init(timeout: Duration, logger: Logger, port: String) {
        self.timeout = timeout
        self.logger = logger
        self.port = port
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) {
            deadline?.cancel()
            deadline = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { arm(context: context) }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    private func arm(context: ChannelHandlerContext) {
        deadline?.cancel()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let (timeout, logger, port) = (timeout, logger, port)
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(timeout)) {
            let peer = bound.value.channel.remoteAddress.map { "\($0)" } ?? "?"
            logger.warning("\(port): \(peer) closed: no whole request within \(timeout)")
            bound.value.close(promise: nil)
        }
    }
}
