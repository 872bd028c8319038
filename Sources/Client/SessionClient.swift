import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Wire

/// A client's session with a unit over real sockets: the TCP session (hello, open with a ticket,
/// messages, media in TCP mode) and a UDP socket proven with the bind exchange, both driven by
/// the `SessionClientStateMachine` that the units' relay links use too. The owner decides what a
/// failed bind means (`bindUDP` throws; `viewer` and `broadcaster` then ask for TCP).
public final class SessionClient: Sendable {
    public let opened: SessionOpened
    /// Everything the unit sends, in order of arrival.
    public let events: AsyncStream<SessionEvent>
    private let connection: Channel
    /// nil when the session was opened without one (its owner reads UDP itself).
    private let mediaSocket: Channel?
    private let unitMedia: SocketAddress
    private let machine: NIOLockedValueBox<SessionClientStateMachine>
    private let bindReplies: AsyncStream<Void>

    private init(
        opened: SessionOpened, events: AsyncStream<SessionEvent>, connection: Channel, mediaSocket: Channel?,
        unitMedia: SocketAddress, machine: NIOLockedValueBox<SessionClientStateMachine>, bindReplies: AsyncStream<Void>
    ) {
        self.opened = opened
        self.events = events
        self.connection = connection
        self.mediaSocket = mediaSocket
        self.unitMedia = unitMedia
        self.machine = machine
        self.bindReplies = bindReplies
    }

    /// Connects, says hello and opens the session with `ticket`; with `udpSocket` false no UDP socket
    /// is opened, for a caller that has its own (`viewer load` reads thousands on one thread). A
    /// viewer joining again passes where it left off (`resume`).
    public static func connect(
        to unit: UnitAddress, ticket: String, peer: PeerKind, name: String, resume: ResumePoint? = nil,
        group: EventLoopGroup = MultiThreadedEventLoopGroup.singleton, localHost: String = "127.0.0.1",
        receiveBufferSize: Int? = nil, mediaSink: MediaSink? = nil, udpSocket: Bool = true, tcpSource: String? = nil
    ) async throws -> SessionClient {
        let (events, continuation) = AsyncStream.makeStream(of: SessionEvent.self, bufferingPolicy: .bufferingOldest(1 << 16))
        let (bindReplies, bindContinuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let unitMedia = try unit.mediaAddress()
        let loop = group.next()
        let machine = NIOLockedValueBox(SessionClientStateMachine(
            hello: Hello(peer: peer, name: name), ticket: ticket, name: name, resume: resume, settings: .init(fallBackToTCP: false)))

        let mediaSocket: Channel? =
            udpSocket
            ? try await DatagramBootstrap(group: loop)
                .channelOption(.socketOption(.so_rcvbuf), value: 1 << 20)
                // A video frame arrives as a burst of datagrams: read up to 8 per syscall.
                .channelOption(.datagramVectorReadMessageCount, value: 8)
                .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 8 * 2048))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            ClientMediaHandler(
                                unit: unitMedia, machine: machine, bindReplies: bindContinuation, events: continuation, sink: mediaSink))
                    }
                }
                .bind(host: localHost, port: 0).get() : nil

        // Made only now: a promise dropped unfulfilled (the UDP bind above threw) is a crash in debug.
        let opened = loop.makePromise(of: SessionOpened.self)
        let connection: Channel
        do {
            var bootstrap = ClientBootstrap(group: loop).channelOption(.tcpOption(.tcp_nodelay), value: 1)
            if let receiveBufferSize {
                bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBufferSize))
            }
            if let tcpSource { bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: tcpSource, port: 0)) }
            connection = try await bootstrap
                .connectTimeout(.seconds(3))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandlers([
                            ByteToMessageHandler(LengthPrefixedFrameDecoder(framer: .rfc4571)),
                            ClientSessionHandler(machine: machine, opened: opened, events: continuation, sink: mediaSink),
                        ])
                    }
                }
                .connect(host: unit.host, port: unit.sessionPort).get()
        } catch {
            opened.fail(error)
            mediaSocket?.close(promise: nil)
            throw ClientError.connectFailed(host: unit.host, port: unit.sessionPort, reason: "\(error)")
        }
        var hello = ByteBuffer()
        for case .send(let message) in machine.withLockedValue({ $0.connected() }) { try SessionFrame.message(message).write(to: &hello) }
        connection.writeAndFlush(hello, promise: nil)
        do {
            let answer = try await opened.futureResult.get()
            return SessionClient(
                opened: answer, events: events, connection: connection, mediaSocket: mediaSocket, unitMedia: unitMedia,
                machine: machine, bindReplies: bindReplies)
        } catch {
            connection.close(promise: nil)
            mediaSocket?.close(promise: nil)
            throw error
        }
    }

    /// Proves the UDP socket to the unit: the bind request until the unit says it is bound, or
    /// `noBindReply` after `timeout`.
    public func bindUDP(timeout: Duration = .seconds(2)) async throws {
        carryOut(machine.withLockedValue { $0.startBind(now: .now, timeout: timeout) })
        try await BindExchange.run(timeout: timeout, replies: bindReplies) { self.carryOut(self.machine.withLockedValue { $0.tick(now: .now) }) }
    }

    /// One bind request with the newest cookie (the UDP keepalive).
    public func sendBind() {
        carryOut(machine.withLockedValue { $0.keepalive(now: .now) })
    }

    private func carryOut(_ actions: [SessionClientStateMachine.Action]) {
        for action in actions {
            switch action {
            case .sendBind(let request): mediaSocket?.writeAndFlush(AddressedEnvelope(remoteAddress: unitMedia, data: request), promise: nil)
            case .send(let message): send(message)
            default: break
            }
        }
    }

    public func send(_ message: SessionMessage) {
        var buffer = ByteBuffer()
        guard (try? SessionFrame.message(message).write(to: &buffer)) != nil else { return }
        connection.writeAndFlush(buffer, promise: nil)
    }

    /// Sends RTP packets over UDP (one flush for the batch), or framed on the TCP session.
    public func sendMedia(_ packets: [ByteBuffer], via mode: MediaMode) {
        switch mode {
        case .udp:
            // A broadcaster's packets prove its session (`UplinkTag`); the unit drops any that do not.
            let tag = opened.uplinkKey.flatMap(UplinkTag.init(text:))
            for packet in packets {
                mediaSocket?.write(AddressedEnvelope(remoteAddress: unitMedia, data: tag?.tagged(packet) ?? packet), promise: nil)
            }
            mediaSocket?.flush()
        case .tcp:
            var buffer = ByteBuffer()
            for packet in packets { try? SessionFrame.media(packet).write(to: &buffer) }
            connection.writeAndFlush(buffer, promise: nil)
        }
    }

    /// Sends raw bytes on the UDP socket to `address` (tests of what a unit ignores).
    public func sendRawDatagram(_ bytes: ByteBuffer, to address: SocketAddress? = nil) {
        mediaSocket?.writeAndFlush(AddressedEnvelope(remoteAddress: address ?? unitMedia, data: bytes), promise: nil)
    }

    /// Stops reading the TCP session (a deliberately slow reader), or resumes.
    public func setReading(_ reading: Bool) async throws {
        try await connection.setOption(.autoRead, value: reading).get()
        if reading { connection.read() }
    }

    /// Reads what the TCP session holds now, for an owner that stopped reading (`setReading(false)`)
    /// to read in batches, as players do.
    public func readNow() {
        connection.read()
    }

    /// The local UDP address the unit sees.
    public var localMediaAddress: SocketAddress? { mediaSocket?.localAddress }

    public func close() async {
        try? await connection.close()
        try? await mediaSocket?.close()
    }
}
