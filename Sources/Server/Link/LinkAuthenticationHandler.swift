import Logging
import NIOCore
import Wire

/// Opens a control link with the `LinkHandshake` before anything else on it counts: until both
/// sides have proved the cluster key, no frame reaches the handlers behind this one. Then the
/// peer's hello is passed on as the connection's first frame, and every frame after it. A link
/// that fails, or does not finish within `timeout`, is told why, logged and closed.
final class LinkAuthenticationHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private var handshake: LinkHandshake
    private let timeout: TimeAmount
    private let logger: Logger
    /// The decoder's cap: what a hello needs until the link is authenticated, the full size after.
    private let frameLimit: FrameSizeLimit?
    /// The port's pool of links still unproven, and this link's place in it.
    private let pool: UnauthenticatedLinks?
    private var place: UInt64?
    /// Succeeds with the peer's hello once the link is authenticated.
    let authenticated: EventLoopPromise<Hello>
    private var deadline: Scheduled<Void>?
    private var started = false
    private var refused = false

    init(
        handshake: LinkHandshake, timeout: TimeAmount = .seconds(5), frameLimit: FrameSizeLimit? = nil, pool: UnauthenticatedLinks? = nil,
        logger: Logger, on eventLoop: EventLoop
    ) {
        self.handshake = handshake
        self.timeout = timeout
        self.frameLimit = frameLimit
        self.pool = pool
        self.logger = logger
        authenticated = eventLoop.makePromise()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    private func start(context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        place = pool?.admit(context.channel)
        let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        let timeout = self.timeout
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [weak self] in
            self?.refuse(.linkNotAuthenticated("no handshake within \(timeout.nanoseconds / 1_000_000_000) s"), context: loopContext.value)
        }
        carryOut(handshake.start(), context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        let frame = Self.unwrapInboundIn(data)
        if handshake.isAuthenticated {
            context.fireChannelRead(data)
            return
        }
        do {
            carryOut(handshake.receive(try ControlCoder.decodeHello(from: frame)), context: context)
        } catch let error as WireError {
            // The peer may be telling us why it refused us.
            if case .error(let refusal)? = try? ControlCoder.decode(CSMMessage.self, from: frame) {
                refuse(.linkNotAuthenticated("the peer refused the link: \(refusal)"), context: context, tellPeer: false)
            } else {
                refuse(error, context: context)
            }
        } catch {
            refuse(.expectedHello, context: context)
        }
    }

    private func carryOut(_ actions: [LinkHandshake.Action], context: ChannelHandlerContext) {
        for action in actions {
            switch action {
            case .send(let hello):
                write(PeerMessage.hello(hello), context: context)
            case .authenticated(let hello):
                deadline?.cancel()
                frameLimit?.lift()
                leavePool()
                if let frame = try? ControlCoder.encode(PeerMessage.hello(hello)) {
                    context.fireChannelRead(Self.wrapInboundOut(ByteBuffer(bytes: frame)))
                }
                authenticated.succeed(hello)
            case .fail(let error):
                refuse(error, context: context)
            }
        }
    }

    private func write(_ message: some Encodable, context: ChannelHandlerContext) {
        guard let frame = try? ControlCoder.frame(message) else { return }
        context.writeAndFlush(NIOAny(frame), promise: nil)
    }

    private func refuse(_ error: WireError, context: ChannelHandlerContext, tellPeer: Bool = true) {
        guard !refused else { return }
        refused = true
        deadline?.cancel()
        let peer = context.channel.remoteAddress.map { "\($0)" } ?? "?"
        logger.warning("control link with \(peer) closed: \(error)")
        if tellPeer { write(CSMMessage.error(ControlError(error)), context: context) }
        authenticated.fail(error)
        context.channel.closeAfterRefusal()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Oversized frames before the handshake: refused like any other stranger.
        if !handshake.isAuthenticated, let error = error as? WireError { refuse(error, context: context) } else { context.fireErrorCaught(error) }
    }

    private func leavePool() {
        if let place { pool?.leave(place) }
        place = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        leavePool()
        authenticated.fail(WireError.linkNotAuthenticated("the connection closed during the handshake"))
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        authenticated.fail(WireError.linkNotAuthenticated("the connection closed during the handshake"))
    }
}
