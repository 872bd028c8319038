import Logging
import NIOCore
import NIOPosix
import Wire

/// A started unit: its address, a way to look inside (tests, admin), and shutdown.
final class RunningUnit: Sendable {
    let address: UnitAddress
    /// The WebSocket port bound (the address may announce a proxy's instead).
    let webSocketBoundPort: Int?
    let eventLoop: EventLoop
    private let unit: NIOLoopBound<Unit>
    private let listeners: [Channel]
    private let heartbeat: NIOLoopBound<RepeatedTask>

    /// Binds the session and media ports on `eventLoop` and starts the heartbeat and CSM links.
    static func start(_ configuration: UnitConfiguration, on eventLoop: EventLoop, logger: Logger) async throws -> RunningUnit {
        try await eventLoop.flatSubmit {
            let unit = Unit(configuration: configuration, eventLoop: eventLoop, logger: logger)
            let bound = NIOLoopBound(unit, eventLoop: eventLoop)
            // No SO_REUSEADDR on the media port: with it another local socket could bind the same
            // UDP port and take the unit's datagrams.
            let media = DatagramBootstrap(group: eventLoop)
                .channelOption(.socketOption(.so_sndbuf), value: 4 << 20)
                .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
                .channelOption(.datagramVectorReadMessageCount, value: 64)
                // Vector reads split one receive buffer among the messages: 2 KB each.
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 64 * 2048))
                .channelOption(.writeBufferWaterMark, value: .init(low: 4 << 20, high: 16 << 20))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(UnitMediaHandler(unit: bound.value))
                    }
                }
                .bind(host: configuration.bindHost, port: configuration.mediaPort)
            let cap = ConnectionCap(limit: configuration.sessionsPerAddress, port: "unit \(configuration.unit) session port", logger: logger)
            let sessions = sessionBootstrap(configuration, on: eventLoop)
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers([
                            cap.handler(),
                            OutboundCapHandler(logger: logger, what: "session", stallTimeout: TimeAmount(configuration.stallTimeout)),
                            ByteToMessageHandler(LengthPrefixedFrameDecoder(framer: .rfc4571)),
                            UnitSessionHandler(unit: bound.value),
                        ])
                    }
                }
                .bind(host: configuration.bindHost, port: configuration.sessionPort)
            // Browsers: the same sessions over WebSocket, with the same caps.
            let webSockets = configuration.webSocketPort.map { port in
                WebSocketSessions.listen(port: port, configuration, cap: cap, unit: bound, logger: logger).map { Optional($0) }
            } ?? eventLoop.makeSucceededFuture(nil)
            return media.and(sessions).and(webSockets).map { pair, webSockets in
                let (media, sessions) = pair
                let unit = bound.value
                unit.mediaChannel = media
                unit.address.sessionPort = sessions.localAddress?.port ?? configuration.sessionPort
                unit.address.mediaPort = media.localAddress?.port ?? configuration.mediaPort
                unit.address.webSocketPort = webSockets?.localAddress?.port.map { configuration.webSocketPublicPort ?? $0 }
                for csm in configuration.csmAddresses {
                    guard let (host, port) = HostPort.parse(csm) else {
                        logger.error("CSM address '\(csm)' is not host:port; skipped")
                        continue
                    }
                    let link = CSMLink(unit: unit, host: host, port: port)
                    unit.csmLinks.append(link)
                    link.start()
                }
                let heartbeat = eventLoop.scheduleRepeatedTask(
                    initialDelay: TimeAmount(configuration.heartbeatInterval), delay: TimeAmount(configuration.heartbeatInterval)
                ) { _ in bound.value.heartbeat() }
                let browsers = unit.address.webSocketPort.map { ", browsers on ws://\(configuration.bindHost):\($0)\(WebSocketSessions.path)" } ?? ""
                logger.info("unit \(configuration.unit) serves sessions on \(configuration.bindHost):\(unit.address.sessionPort), media on udp \(unit.address.mediaPort)\(browsers)")
                return RunningUnit(
                    address: unit.address, webSocketBoundPort: webSockets?.localAddress?.port, eventLoop: eventLoop, unit: bound, listeners: [media, sessions] + (webSockets.map { [$0] } ?? []),
                    heartbeat: NIOLoopBound(heartbeat, eventLoop: eventLoop))
            }
        }.get()
    }

    /// What the TCP and the WebSocket session ports share: backlog, no Nagle, the send buffer
    /// and the water marks a TCP cursor stops at.
    static func sessionBootstrap(_ configuration: UnitConfiguration, on eventLoop: EventLoop) -> ServerBootstrap {
        ServerBootstrap(group: eventLoop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(configuration.sessionSendBuffer))
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 32 << 10, high: 128 << 10))
    }

    private init(address: UnitAddress, webSocketBoundPort: Int?, eventLoop: EventLoop, unit: NIOLoopBound<Unit>, listeners: [Channel], heartbeat: NIOLoopBound<RepeatedTask>) {
        self.address = address
        self.webSocketBoundPort = webSocketBoundPort
        self.eventLoop = eventLoop
        self.unit = unit
        self.listeners = listeners
        self.heartbeat = heartbeat
    }

    /// Runs `body` on the unit's loop and returns its result.
    func inspect<Result: Sendable>(_ body: @escaping @Sendable (Unit) -> Result) async throws -> Result {
        try await eventLoop.submit { body(self.unit.value) }.get()
    }

    /// Closes every session, link and port.
    func shutdown() async throws {
        try await eventLoop.flatSubmit {
            let unit = self.unit.value
            self.heartbeat.value.cancel()
            for link in unit.csmLinks { link.close() }
            for channel in unit.channels.values { channel.parentLink?.close() }
            for session in unit.sessions.values { session.connection.close(promise: nil) }
            return EventLoopFuture.andAllComplete(self.listeners.map { $0.close() }, on: self.eventLoop)
        }.get()
    }
}
