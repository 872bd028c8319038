import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import ClusterLogic
import Wire

/// Runs a CSM under ServiceLifecycle: the unit port (units and the peer CSM, each link
/// authenticated), the HTTP port and the heartbeat that detects failed units.
struct CSMService: Service {
    let configuration: CSMConfiguration
    let logger: Logger
    /// Called once every port is bound, with the bound ports (tests and the demo use port 0).
    var onStarted: @Sendable (CSMPorts) async -> Void = { _ in }

    func run() async throws {
        let store = try await SQLiteStore.open(path: configuration.databasePath, logger: logger)
        let keys = ClusterKeys(clusterKey: configuration.secret)
        let peer = configuration.peer.flatMap(HostPort.parse).map {
            PeerLink(host: $0.host, port: $0.port, name: configuration.name, key: keys.peerLink, logger: logger)
        }
        let stateFile = CSMStateFile(path: configuration.stateFile)
        let saved = try stateFile.load()
        let failover = FailoverStateMachine(
            name: configuration.name, highestEpoch: saved.epoch, members: Set(saved.units), preferred: !configuration.startAsBackup,
            alone: peer == nil,
            leaseDuration: configuration.leaseDuration, heartbeatInterval: configuration.heartbeatInterval, now: .now)
        let manager = ClusterManager(
            settings: configuration.settings, secret: configuration.secret, name: configuration.name, failover: failover,
            stateFile: stateFile, peer: peer, hook: configuration.hook.map(FailoverHook.init), store: store,
            retention: configuration.logRetention, unitEventsPerSecond: configuration.unitEventsPerSecond,
            revokedStreamKeys: saved.revokedStreamKeys ?? [], logger: logger, clock: .system)
        await manager.started()
        let unitServer = try await PortUnavailable.naming("CSM \(configuration.name)'s unit port", ports: [configuration.unitPort]) {
            try await Self.listen(configuration, keys: keys, logger: logger)
        }
        let ports = NIOLockedValueBox(CSMPorts(unit: unitServer.channel.localAddress?.port ?? 0, http: 0))
        let app = AdminApplication.make(
            host: configuration.httpBindHost ?? configuration.bindHost, port: configuration.httpPort, idleTimeout: configuration.httpIdleTimeout,
            limits: configuration.httpLimits, networks: configuration.networks, logger: logger,
            routes: { router in
                CSMAdminRoutes.add(to: router, manager: manager, token: configuration.adminToken)
                let limits = ClientRateLimits(configuration.rateLimits, networks: configuration.networks, trustedToken: configuration.adminToken)
                ClientAPIRoutes.add(to: router, api: manager, limits: limits)
            },
            onRunning: { port in
                let started = ports.withLockedValue { $0.http = port; return $0 }
                logger.info("CSM \(configuration.name): units and peer on \(started.unit), HTTP on \(started.http)")
                await onStarted(started)
            })
        // The database closes whatever ends the service, even cancellation (which a close
        // inside the cancelled task would inherit and skip).
        defer { Task.detached { try? await store.close() } }
        try await serve(manager: manager, unitServer: unitServer, app: app)
    }

    /// Serves until graceful shutdown. Shutdown closes the listeners and every accepted
    /// connection first, so each accept loop ends by itself with every accepted connection
    /// served (NIO requires each accepted async channel to be run); then the rest is cancelled.
    private func serve(
        manager: ClusterManager, unitServer: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>,
        app: some ApplicationProtocol
    ) async throws {
        let logger = self.logger
        let configuration = self.configuration
        let accepted = AcceptedConnections()
        let acceptLoop = Task {
            try await unitServer.executeThenClose { connections in
                try await withThrowingDiscardingTaskGroup { links in
                    var nextLink: UInt64 = 1
                    for try await connection in connections {
                        accepted.add(connection.channel)
                        let session = UnitLinkSession(manager: manager, link: nextLink, logger: logger)
                        nextLink += 1
                        links.addTask { await session.serve(connection) }
                    }
                }
            }
        }
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                // The HTTP server ends by itself on graceful shutdown, once the requests it is
                // answering are answered; cancelled, it would drop them and log errors.
                group.addTask {
                    try await PortUnavailable.naming("CSM \(configuration.name)'s HTTP port", ports: [configuration.httpPort]) { try await app.run() }
                }
                // Ending on shutdown is this service's success: thrown on, the CancellationError
                // would make the service group cancel every other service before each had shut down.
                group.addTask {
                    try await Self.endingOnShutdown {
                        while !Task.isCancelled {
                            try await Task.sleep(for: configuration.heartbeatInterval)
                            await manager.tick()
                        }
                    }
                }
            }
        } onGracefulShutdown: {
            unitServer.channel.close(promise: nil)
            accepted.closeAll()
        }
        _ = await acceptLoop.result
    }

    /// Runs `operation` until graceful shutdown cancels it, which ends it without an error.
    private static func endingOnShutdown(_ operation: @escaping @Sendable () async throws -> Void) async throws {
        do {
            try await cancelWhenGracefulShutdown(operation)
        } catch is CancellationError where Task.isShuttingDownGracefully {}
    }

    /// The unit port: each connection is capped per address, must prove the cluster key within
    /// the hello timeout, is closed when silent for the idle timeout, and then yields whole frames.
    static func listen(
        _ configuration: CSMConfiguration, keys: ClusterKeys, logger: Logger
    ) async throws -> NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never> {
        let cap = ConnectionCap(limit: configuration.connectionsPerAddress, port: "CSM \(configuration.name) unit port", logger: logger)
        let unproven = UnauthenticatedLinks(total: configuration.unprovenLinks, perNetwork: configuration.unprovenLinksPerNetwork)
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 256 << 10, high: configuration.linkOutboundCap))
            .bind(host: configuration.bindHost, port: configuration.unitPort) { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Each unit proves its own key, the peer CSM the pair's.
                    let handshake = LinkHandshake.responder(accepting: [.unit, .csm], name: configuration.name, keyring: keys.linkKey(for:name:))
                    let frameLimit = FrameSizeLimit()
                    try channel.pipeline.syncOperations.addHandlers([
                        cap.handler(),
                        IdleStateHandler(readTimeout: TimeAmount(configuration.linkIdleTimeout)),
                        IdleCloseHandler(logger: logger, what: "control link", timeout: configuration.linkIdleTimeout),
                        OutboundCapHandler(logger: logger, what: "control link"),
                        ByteToMessageHandler(LengthPrefixedFrameDecoder(framer: .control, limit: frameLimit)),
                        LinkAuthenticationHandler(
                            handshake: handshake, timeout: TimeAmount(configuration.helloTimeout), frameLimit: frameLimit, pool: unproven,
                            logger: logger, on: channel.eventLoop),
                    ])
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
    }
}

/// The connections a CSM holds open, so shutdown can close them all, including any accepted while
/// it was closing. Each leaves the list when it closes: strangers come and go all day.
final class AcceptedConnections: Sendable {
    private let state = NIOLockedValueBox<(channels: [ObjectIdentifier: any Channel], closing: Bool)>(([:], false))

    func add(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        let closing = state.withLockedValue { state in
            if !state.closing { state.channels[key] = channel }
            return state.closing
        }
        if closing { channel.close(promise: nil) }
        channel.closeFuture.whenComplete { [state] _ in state.withLockedValue { _ = $0.channels.removeValue(forKey: key) } }
    }

    func closeAll() {
        let channels = state.withLockedValue { state in
            state.closing = true
            defer { state.channels.removeAll() }
            return Array(state.channels.values)
        }
        for channel in channels { channel.close(promise: nil) }
    }
}

/// The ports a CSM serves on.
struct CSMPorts: Sendable {
    var unit: Int
    var http: Int
}
