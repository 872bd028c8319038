import Logging
import NIOCore

/// Closes a connection whose `IdleStateHandler` saw nothing read for its timeout: a control link
/// hears from its peer every heartbeat, so silence this long means a dead or a hostile peer.
final class IdleCloseHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let logger: Logger
    private let what: String
    private let timeout: Duration

    init(logger: Logger, what: String, timeout: Duration) {
        self.logger = logger
        self.what = what
        self.timeout = timeout
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard case IdleStateHandler.IdleStateEvent.read = event else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        let peer = context.channel.remoteAddress.map { "\($0)" } ?? "?"
        logger.warning("\(what) with \(peer) closed: nothing heard for \(timeout)")
        context.close(promise: nil)
    }
}
