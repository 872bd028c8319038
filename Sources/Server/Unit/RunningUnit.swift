import DataPlane
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Wire

#if canImport(Glibc)
import Glibc
#endif

/// A started unit: its address, a way to look inside (tests, admin), and shutdown.
final class RunningUnit: Sendable {
    let address: UnitAddress
    /// The WebSocket port bound (the address may announce a proxy's instead).
    let webSocketBoundPort: Int?
    let eventLoop: EventLoop
    private let unit: NIOLoopBound<Unit>
    private let sessionListener: SessionListener
    private let listeners: [Channel]
    private let heartbeat: NIOLoopBound<RepeatedTask>
    /// The unit's health as of its last heartbeat.
    let health = UnitHealthBoard(nil)

    /// Binds the session and media ports on `eventLoop` and starts the heartbeat and CSM links.
    static func start(_ configuration: UnitConfiguration, on eventLoop: EventLoop, logger: Logger) async throws -> RunningUnit {
        try await start(configuration, on: [eventLoop], logger: logger)
    }

    /// The same on several loops (`--threads`): the unit's state lives on the first; each loop
    /// has its own socket on the media port (SO_REUSEPORT) and sends to its share of the UDP
    /// receivers.
    static func start(_ configuration: UnitConfiguration, on loops: [EventLoop], logger: Logger) async throws -> RunningUnit {
        let eventLoop = loops[0]
        let shared = loops.count > 1
        let first = try await MediaWorker.open(configuration, port: configuration.mediaPort, sharedPort: shared, on: eventLoop)
        var workers: [MediaWorker] = []
        do {
            for loop in loops.dropFirst() {
                workers.append(try await MediaWorker.open(configuration, port: first.port, sharedPort: true, on: loop))
            }
        } catch {
            // The duplicates NIO never got (the sockets themselves close with their owners).
            for worker in [first] + workers { close(worker.descriptor) }
            throw error
        }
        let opened = workers
        return try await eventLoop.flatSubmit {
            let unit = Unit(configuration: configuration, eventLoop: eventLoop, logger: logger)
            let bound = NIOLoopBound(unit, eventLoop: eventLoop)
            unit.output.fanOutSocket = first.socket.value
            unit.output.mediaWorkers = opened
            let forwarding = opened.map { worker in
                DatagramBootstrap(group: worker.loop)
                    .channelOption(.datagramVectorReadMessageCount, value: 64)
                    .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 64 * 2048))
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(MediaForwardingHandler(unit: bound)) }
                    }
                    .withBoundSocket(worker.descriptor)
            }
            let media = DatagramBootstrap(group: eventLoop)
                .channelOption(.datagramVectorReadMessageCount, value: 64)
                // Vector reads split one receive buffer among the messages: 2 KB each.
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 64 * 2048))
                .channelOption(.writeBufferWaterMark, value: .init(low: 4 << 20, high: 16 << 20))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(UnitMediaHandler(unit: bound.value))
                    }
                }
                .withBoundSocket(first.descriptor)
            let cap = ConnectionCap(
                limit: configuration.sessionsPerAddress, port: "unit \(configuration.unit) session port", networks: configuration.networks, logger: logger)
            let sessions: SessionListener
            do {
                sessions = try SessionListener(
                    host: configuration.bindHost, port: configuration.sessionPort, loops: loops, logger: logger,
                    configure: { sessionOptions(configuration, $0) },
                    initializer: { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandlers([
                                cap.handler(),
                                OutboundCapHandler(logger: logger, what: "session", stallTimeout: TimeAmount(configuration.stallTimeout)),
                                ByteToMessageHandler(LengthPrefixedFrameDecoder(framer: .rfc4571)),
                                UnitSessionHandler(unit: bound),
                            ])
                        }
                    })
            } catch {
                return eventLoop.makeFailedFuture(error)
            }
            // Browsers: the same sessions over WebSocket, with the same caps.
            let webSockets = configuration.webSocketPort.map { port in
                WebSocketSessions.listen(port: port, configuration, cap: cap, unit: bound, logger: logger).map { Optional($0) }
            } ?? eventLoop.makeSucceededFuture(nil)
            // Publishers (OBS, ffmpeg): RTMP, on the unit's own loop.
            let rtmp = configuration.rtmpPort.map { port in
                RTMPPublisher.listen(port: port, configuration, unit: bound, logger: logger).map { Optional($0) }
            } ?? eventLoop.makeSucceededFuture(nil)
            return media.and(webSockets).and(rtmp).and(EventLoopFuture.whenAllSucceed(forwarding, on: eventLoop)).map { all, forwarding in
                let ((media, webSockets), rtmp) = all
                let unit = bound.value
                unit.address.rtmpPort = rtmp?.localAddress?.port
                unit.output.mediaChannel = media
                unit.address.sessionPort = sessions.port
                unit.address.mediaPort = media.localAddress?.port ?? configuration.mediaPort
                unit.address.webSocketPort = webSockets?.localAddress?.port.map { configuration.webSocketPublicPort ?? $0 }
                for csm in configuration.csmAddresses {
                    guard let (host, port) = HostPort.parse(csm) else {
                        logger.error("CSM address '\(csm)' is not host:port; skipped")
                        continue
                    }
                    let link = CSMLink(unit: unit, host: host, port: port)
                    unit.control.links.append(link)
                    link.start()
                }
                let heartbeat = eventLoop.scheduleRepeatedTask(
                    initialDelay: TimeAmount(configuration.heartbeatInterval), delay: TimeAmount(configuration.heartbeatInterval)
                ) { _ in bound.value.heartbeat() }
                let browsers = unit.address.webSocketPort.map { ", browsers on ws://\(configuration.bindHost):\($0)\(WebSocketSessions.path)" } ?? ""
                let publishers = unit.address.rtmpPort.map { ", publishers on rtmp://\(configuration.bindHost):\($0)/live" } ?? ""
                let threads = loops.count > 1 ? " (\(loops.count) loops)" : ""
                logger.info("unit \(configuration.unit) serves sessions on \(configuration.bindHost):\(unit.address.sessionPort), media on udp \(unit.address.mediaPort)\(threads)\(browsers)\(publishers)")
                let running = RunningUnit(
                    address: unit.address, webSocketBoundPort: webSockets?.localAddress?.port, eventLoop: eventLoop, unit: bound, sessionListener: sessions, listeners: [media] + forwarding + [webSockets, rtmp].compactMap { $0 },
                    heartbeat: NIOLoopBound(heartbeat, eventLoop: eventLoop))
                unit.metrics.healthBoard = running.health
                return running
            }.flatMapErrorThrowing { error in
                sessions.close()
                throw error
            }
        }.get()
    }

    /// The WebSocket session port: the TCP session port's backlog and connection options.
    static func sessionBootstrap(_ configuration: UnitConfiguration, on eventLoop: EventLoop) -> ServerBootstrap {
        ServerBootstrap(group: eventLoop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(configuration.sessionSendBuffer))
            .childChannelOption(.writeBufferWaterMark, value: sessionWaterMark)
    }

    /// What every session connection gets: no Nagle, the send buffer, and the water marks a TCP
    /// cursor stops at.
    @Sendable static func sessionOptions(_ configuration: UnitConfiguration, _ bootstrap: ClientBootstrap) -> ClientBootstrap {
        bootstrap
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(configuration.sessionSendBuffer))
            .channelOption(.writeBufferWaterMark, value: sessionWaterMark)
    }

    static let sessionWaterMark = ChannelOptions.Types.WriteBufferWaterMark(low: 32 << 10, high: 128 << 10)

    private init(
        address: UnitAddress, webSocketBoundPort: Int?, eventLoop: EventLoop, unit: NIOLoopBound<Unit>, sessionListener: SessionListener,
        listeners: [Channel], heartbeat: NIOLoopBound<RepeatedTask>
    ) {
        self.sessionListener = sessionListener
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
            self.sessionListener.close()
            for link in unit.control.links { link.close() }
            for channel in unit.channels.values { channel.parentLink?.close() }
            for session in unit.sessions.values { session.connection.close(promise: nil) }
            for channel in unit.channels.values { channel.publisher?.end("the unit stops", quietly: true) }
            unit.output.close()
            return EventLoopFuture.andAllComplete(self.listeners.map { $0.close() }, on: self.eventLoop)
        }.get()
    }
}

/// One loop's socket on the unit's media port: the fan-out sends to the loop's share of the UDP
/// receivers from it (`PeerList` shards), and NIO reads from a duplicate of it on the same loop.
struct MediaWorker: Sendable {
    let loop: EventLoop
    let socket: NIOLoopBound<UDPFanOutSocket>
    /// The duplicate NIO reads from (it owns and closes it).
    let descriptor: CInt
    /// The port bound (the kernel's choice for port 0).
    let port: Int
    /// Sends the kernel dropped or refused on this loop, for the unit's counters (touched only
    /// when a send fails).
    let failures = NIOLockedValueBox(UDPFanOutSocket.Outcome())

    /// No SO_REUSEADDR on the media port: with it another local socket could bind the same UDP
    /// port and take the unit's datagrams. SO_REUSEPORT (several loops) admits only sockets of
    /// the same user to the port.
    static func open(_ configuration: UnitConfiguration, port: Int, sharedPort: Bool, on loop: EventLoop) async throws -> MediaWorker {
        try await loop.submit {
            let socket = try UDPFanOutSocket(
                boundTo: SocketAddress.makeAddressResolvingHost(configuration.bindHost, port: port), sharedPort: sharedPort,
                sendBuffer: 4 << 20, receiveBuffer: 4 << 20)
            return MediaWorker(loop: loop, socket: NIOLoopBound(socket, eventLoop: loop), descriptor: try socket.duplicate(), port: socket.port)
        }.get()
    }
}
