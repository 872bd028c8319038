import NIOCore
import NIOPosix
import Wire

/// The child end of a relay link (paper fig. 4-5): this unit connects to the parent group's unit
/// like a viewer, with the same ticket and bind proof, and feeds what arrives into its own feed.
/// A link that breaks is re-established every second until it is closed; each break and
/// recovery is an event.
final class RelayLink: FrameLink {
    private unowned let unit: Unit
    let channel: ChannelID
    let parent: UnitAddress
    let parentGroup: GroupID
    private let ticket: String
    private var connection: Channel?
    private var mediaSocket: Channel?
    private var parentMediaAddress: SocketAddress?
    private var opened: SessionOpened?
    private var binding: BindClient?
    private(set) var mode = MediaMode.udp
    private var closed = false
    private var awaitingHello = true
    private var keepalive: Scheduled<Void>?
    private(set) var isUp = false

    init(unit: Unit, channel: ChannelID, parent: UnitAddress, parentGroup: GroupID, ticket: String) {
        self.unit = unit
        self.channel = channel
        self.parent = parent
        self.parentGroup = parentGroup
        self.ticket = ticket
    }

    /// Opens the UDP socket, then the session.
    func start() {
        let loop = unit.eventLoop
        parentMediaAddress = try? SocketAddress.makeAddressResolvingHost(parent.host, port: parent.mediaPort)
        let bound = NIOLoopBound(self, eventLoop: loop)
        DatagramBootstrap(group: loop)
            .channelOption(.socketOption(.so_rcvbuf), value: 4 << 20)
            .channelOption(.datagramVectorReadMessageCount, value: 16)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 16 * 2048))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RelayMediaHandler(link: bound.value))
                }
            }
            .bind(host: unit.configuration.bindHost, port: 0)
            .assumeIsolated().whenComplete { result in
                // On the unit's loop: the link is used directly, no Sendable box needed.
                let link = self
                switch result {
                case .success(let socket):
                    if link.closed { socket.close(promise: nil); return }
                    link.mediaSocket = socket
                    link.connect()
                case .failure(let error):
                    link.unit.record(.relayDown, channel: link.channel, "relay link to \(link.parent) cannot open a UDP socket: \(error)")
                }
            }
    }

    private func connect() {
        guard !closed else { return }
        awaitingHello = true
        binding = nil
        mode = .udp
        connect(on: unit.eventLoop, host: parent.host, port: parent.sessionPort, framer: .rfc4571, timeout: .seconds(2), logger: unit.logger)
            .assumeIsolated().whenComplete { result in
                // On the unit's loop: the link is used directly, no Sendable box needed.
                let link = self
                switch result {
                case .success(let connection):
                    if link.closed { connection.close(promise: nil); return }
                    link.connection = connection
                    link.send(.hello(Hello(peer: .relay, name: "unit \(link.unit.configuration.unit)")))
                    link.send(.open(ticket: link.ticket, name: "unit \(link.unit.configuration.unit)"))
                case .failure(let error):
                    link.linkBroke("cannot connect: \(error)")
                }
            }
    }

    private func send(_ message: SessionMessage) {
        guard let connection else { return }
        var buffer = connection.allocator.buffer(capacity: 256)
        guard (try? SessionFrame.message(message).write(to: &buffer)) != nil else { return }
        connection.writeAndFlush(buffer, promise: nil)
    }

    /// A frame from the parent unit.
    func received(_ frame: ByteBuffer) {
        if awaitingHello {
            awaitingHello = false
            if (try? ControlCoder.decodeHello(from: frame)) == nil { connection?.close(promise: nil) }
            return
        }
        switch try? SessionFrame(frame: frame) {
        case .media(let packet):
            if let local = unit.channels[channel] { unit.ingest(packet, into: local) }
        case .message(.opened(let opened)):
            self.opened = opened
            binding = BindClient(opened)
            sendBind()
            scheduleTick()
        case .message(.chat(let line)):
            if let local = unit.channels[channel] { unit.relay(line, in: local, from: nil, fromParent: true) }
        case .message(.error(let error)):
            unit.record(.relayDown, channel: channel, "relay link to \(parent) refused: \(error)")
        case .message(.modeChanged(let mode, _)):
            self.mode = mode
            if mode == .tcp && !isUp {
                isUp = true
                unit.record(.relayUp, channel: channel, "relay link from \(parent.unit)-\(parentGroup) is up (tcp)")
            }
        default:
            break
        }
    }

    func readComplete() {
        unit.flushMedia()
    }

    /// Keepalive: the bind again every second; no answer after the first tries means UDP does not
    /// get through, so the link asks for TCP.
    private func tick() {
        guard opened != nil else { return }
        if mode == .udp && binding?.isBound != true {
            unit.record(.modeSwitched, channel: channel, "relay link to \(parent): no bind reply, switching to TCP")
            mode = .tcp
            send(.setMode(.tcp, reason: "no bind reply from the parent unit"))
        }
        sendBind()
    }

    private func scheduleTick() {
        keepalive?.cancel()
        keepalive = unit.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { [weak self] in
            self?.tick()
            self?.scheduleTick()
        }
    }

    private func sendBind() {
        guard let binding, let mediaSocket, let parentMediaAddress else { return }
        mediaSocket.writeAndFlush(AddressedEnvelope(remoteAddress: parentMediaAddress, data: binding.request), promise: nil)
    }

    /// A datagram on the link's own UDP socket: only the parent unit's media port is heard.
    func datagram(_ envelope: AddressedEnvelope<ByteBuffer>) {
        guard envelope.remoteAddress == parentMediaAddress else {
            unit.counters.droppedUnboundMedia += 1
            return
        }
        let data = envelope.data
        guard let first = data.getInteger(at: data.readerIndex, as: UInt8.self) else { return }
        if BindDatagram.isBindDatagram(firstByte: first) {
            switch binding?.received(data) {
            case .sendAgain?:
                sendBind()
            case .bound? where !isUp:
                isUp = true
                unit.record(.relayUp, channel: channel, "relay link from \(parent.unit)-\(parentGroup) is up (\(mode))")
            default:
                break
            }
        } else if let local = unit.channels[channel] {
            unit.ingest(data, into: local)
        }
    }

    func sendChat(_ line: ChatLine) {
        send(.chat(line))
    }

    func requestKeyframe(reason: String) {
        send(.keyframeRequest(reason: reason))
    }

    func disconnected() {
        linkBroke("the parent unit closed the session")
    }

    /// The session ended; try again in a second unless the link was closed.
    func linkBroke(_ why: String) {
        connection = nil
        opened = nil
        binding = nil
        keepalive?.cancel()
        keepalive = nil
        guard !closed else { return }
        isUp = false
        unit.record(.relayDown, channel: channel, "relay link to \(parent) broke (\(why)); retrying")
        unit.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { [weak self] in self?.connect() }
    }

    func close() {
        closed = true
        keepalive?.cancel()
        connection?.close(promise: nil)
        mediaSocket?.close(promise: nil)
    }
}
