import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import Wire

/// A browser's session over WebSocket (RFC 6455): each binary message carries exactly one RFC 4571
/// frame's content (an RTP packet or a session message), both ways. Inbound, messages become the
/// frames `UnitSessionHandler` reads; outbound, the unit's writes (RFC 4571 frames, one or a whole
/// batch per buffer) are cut into one message per frame.
final class WebSocketSessionFrames: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    /// The start of a frame whose end is in the next write (the unit writes whole frames, but
    /// nothing here depends on it).
    private var partial: ByteBuffer?
    /// The latest ping not answered yet. Pongs are written below the outbound cap, so at most one
    /// waits: answered at the end of a read, and only while the peer reads what it is sent; a
    /// flood of pings from a peer that reads nothing queues nothing.
    private var unansweredPing: ByteBuffer?

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary:
            context.fireChannelRead(wrapInboundOut(frame.unmaskedData))
        case .ping:
            unansweredPing = frame.unmaskedData
        case .pong:
            break
        case .connectionClose:
            // Answered with a close of our own; the session ends as when a TCP client goes.
            var code = context.channel.allocator.buffer(capacity: 2)
            code.write(webSocketErrorCode: .normalClosure)
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: code)))
                .whenComplete { _ in channel.close(promise: nil) }
        case .text:
            context.fireErrorCaught(WireError.malformedControlMessage("a session over WebSocket takes binary messages, one RFC 4571 frame each, not text"))
        default:
            context.fireErrorCaught(WireError.malformedControlMessage("WebSocket opcode \(frame.opcode) is not part of a session"))
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        answerPing(context: context)
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        answerPing(context: context)
        context.fireChannelWritabilityChanged()
    }

    private func answerPing(context: ChannelHandlerContext) {
        guard let data = unansweredPing, context.channel.isWritable else { return }
        unansweredPing = nil
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: data)), promise: nil)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var buffer = unwrapOutboundIn(data)
        if var start = partial {
            start.writeBuffer(&buffer)
            buffer = start
            partial = nil
        }
        var last: WebSocketFrame?
        while let length = buffer.getInteger(at: buffer.readerIndex, as: UInt16.self), buffer.readableBytes >= 2 + Int(length) {
            buffer.moveReaderIndex(forwardBy: 2)
            let message = WebSocketFrame(fin: true, opcode: .binary, data: buffer.readSlice(length: Int(length))!)
            if let previous = last { context.write(wrapOutboundOut(previous), promise: nil) }
            last = message
        }
        if buffer.readableBytes > 0 { partial = buffer }
        if let last {
            context.write(wrapOutboundOut(last), promise: promise)
        } else {
            promise?.succeed()
        }
    }
}

/// Answers a plain HTTP request on the WebSocket port (anything but an upgrade at /session) and
/// closes, as it closes a connection that has not upgraded within `timeout`: nobody waits on a
/// port that serves only sessions. Removed at the upgrade.
final class WebSocketUpgradeRequired: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let timeout: Duration
    private let origins: OriginPolicy
    private var deadline: Scheduled<Void>?

    init(timeout: Duration, origins: OriginPolicy) {
        self.timeout = timeout
        self.origins = origins
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: TimeAmount(timeout)) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let head) = unwrapInboundIn(data) else { return }
        let origin = head.headers.first(name: "Origin")
        let refusedOrigin = head.uri == WebSocketSessions.path && !origins.allows(origin)
        let body = ByteBuffer(
            string: refusedOrigin
                ? "pages of \(origin ?? "?") may not open sessions on this unit; the unit's operator lists the portal's origins with --allowed-origin\n"
                : "this port serves avcluster sessions over WebSocket at /session\n")
        var headers = HTTPHeaders([("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "\(body.readableBytes)"), ("Connection", "close")])
        headers.add(name: "Upgrade", value: "websocket")
        let status: HTTPResponseStatus = refusedOrigin ? .forbidden : head.uri == WebSocketSessions.path ? .upgradeRequired : .notFound
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}

/// The unit's WebSocket port: HTTP until a client upgrades at `path`, then the session's own
/// handlers, exactly as on the TCP session port.
enum WebSocketSessions {
    static let path = "/session"

    /// Listens on `port` of the unit's bind address, with the session port's caps and buffers.
    static func listen(port: Int, _ configuration: UnitConfiguration, cap: ConnectionCap, unit: NIOLoopBound<Unit>, logger: Logger) -> EventLoopFuture<Channel> {
        RunningUnit.sessionBootstrap(configuration, on: unit.eventLoop)
            .childChannelInitializer { channel in
                configure(channel, before: [cap.handler()], upgradeTimeout: configuration.openTimeout, origins: configuration.webSocketOrigins) { head in
                    // Behind a trusted TLS proxy, the browser's network is the one the proxy names.
                    let networks = configuration.networks
                    let forwarded = networks.trusts(channel.remoteAddress)
                        ? networks.client(peer: channel.remoteAddress, forwardedFor: head.headers["X-Forwarded-For"]) : nil
                    return [
                        OutboundCapHandler(logger: logger, what: "WebSocket session", stallTimeout: TimeAmount(configuration.stallTimeout)),
                        UnitSessionHandler(unit: unit, overWebSocket: true, forwardedNetwork: forwarded),
                    ]
                }
            }
            .bind(host: configuration.bindHost, port: port)
    }

    /// The pipeline of one connection: `sessionHandlers` are added once it is a WebSocket.
    static func configure(
        _ channel: Channel, before: [ChannelHandler], upgradeTimeout: Duration, origins: OriginPolicy,
        sessionHandlers: @escaping @Sendable (HTTPRequestHead) -> [ChannelHandler]
    ) -> EventLoopFuture<Void> {
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: Int(UInt16.max),
            shouldUpgrade: { channel, head in
                // Refused here, the request goes on to `WebSocketUpgradeRequired`, which says why.
                channel.eventLoop.makeSucceededFuture(head.uri == path && origins.allows(head.headers.first(name: "Origin")) ? HTTPHeaders() : nil)
            },
            upgradePipelineHandler: { channel, head in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    if let plain = try? sync.handler(type: WebSocketUpgradeRequired.self) { sync.removeHandler(plain, promise: nil) }
                    try sync.addHandlers(
                        [NIOWebSocketFrameAggregator(minNonFinalFragmentSize: 1, maxAccumulatedFrameCount: 64, maxAccumulatedFrameSize: Int(UInt16.max)), WebSocketSessionFrames()]
                            + sessionHandlers(head))
                }
            })
        return channel.eventLoop.makeCompletedFuture {
            let sync = channel.pipeline.syncOperations
            try sync.addHandlers(before)
            try sync.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
            try sync.addHandler(WebSocketUpgradeRequired(timeout: upgradeTimeout, origins: origins))
        }
    }
}
