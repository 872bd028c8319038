import DataPlane
import NIOCore
import NIOPosix
import Wire

/// The child end of a relay link (paper fig. 4-5): this unit connects to the parent group's unit
/// like a viewer, with the same ticket and bind proof (`SessionClientStateMachine`, the clients'
/// own), and feeds what arrives into its own feed. UDP that gets no bind answer falls back to TCP.
/// A link that breaks is re-established every second until it is closed, resuming after the last
/// packet the feed has; each break and recovery is an event.
final class RelayLink: FrameLink {
    private unowned let unit: Unit
    let channel: ChannelID
    let parent: UnitAddress
    let parentGroup: GroupID
    private let ticket: String
    private var connection: Channel?
    private var mediaSocket: Channel?
    /// Where the parent's media comes from: nothing from elsewhere is read.
    private(set) var parentMediaAddress: SocketAddress?
    private var session: SessionClientStateMachine?
    private var closed = false
    private var ticker: Scheduled<Void>?
    private(set) var isUp = false
    /// The parent's seal on every packet it sends (from its `SessionOpened`), and the stream as
    /// it came: a packet that is not sealed, or comes again, is a forgery.
    private var parentSeal: UplinkTag?
    /// Replays only: the channel's SSRCs change when its broadcaster comes back, and the parent
    /// (whose seal is checked) has judged its sources already.
    private var streamGuard = UplinkGuard(pinsSources: false)

    var mode: MediaMode { session?.mode ?? .udp }

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
        let name = "unit \(unit.configuration.unit)"
        // A re-parented or re-established link resumes after what the feed here has, so no viewer
        // of this unit misses what came while it was down; a new one asks for all its parent
        // holds, so a viewer re-homed here after a failure finds where it left off.
        let resume = unit.channels[channel]?.feed.resumePoint ?? ResumePoint(streams: [])
        session = SessionClientStateMachine(
            hello: Hello(peer: .relay, name: name), ticket: ticket, name: name, resume: resume,
            settings: .init(bindTimeout: .seconds(1), fallBackToTCP: true))
        connect(on: unit.eventLoop, host: parent.host, port: parent.sessionPort, framer: .rfc4571, timeout: .seconds(2), logger: unit.logger)
            .assumeIsolated().whenComplete { result in
                // On the unit's loop: the link is used directly, no Sendable box needed.
                let link = self
                switch result {
                case .success(let connection):
                    if link.closed { connection.close(promise: nil); return }
                    link.connection = connection
                    link.carryOut(link.session?.connected() ?? [])
                case .failure(let error):
                    link.linkBroke("cannot connect: \(error)")
                }
            }
    }

    /// A frame from the parent unit: media straight into the feed, the rest through the session.
    func received(_ frame: ByteBuffer) {
        if session?.phase == .open, SessionFrame.isMedia(frame) {
            fromParent(frame)
            return
        }
        carryOut(session?.received(frame, now: unit.clock.instant()) ?? [])
    }

    private func carryOut(_ actions: [SessionClientStateMachine.Action]) {
        for action in actions {
            switch action {
            case .send(let message):
                send(message)
            case .sendBind(let request):
                if let mediaSocket, let parentMediaAddress {
                    mediaSocket.writeAndFlush(AddressedEnvelope(remoteAddress: parentMediaAddress, data: request), promise: nil)
                }
            case .opened:
                parentSeal = session?.opened?.uplinkKey.flatMap(UplinkTag.init(text:))
                streamGuard.reset()
                carryOut(session?.startBind(now: unit.clock.instant()) ?? [])
                startTicking()
            case .bound:
                up()
            case .bindTimedOut:
                unit.record(.modeSwitched, channel: channel, "relay link to \(parent): no bind reply, switching to TCP")
            case .deliver(.chat(let line)):
                if let local = unit.channels[channel] {
                    if line.isFromBroadcaster { local.broadcasterName = line.from }
                    unit.relay(line, in: local, from: nil, fromParent: true)
                }
            case .deliver(.modeChanged(.tcp, _)):
                up()
            case .deliver(.videoSkipped(let skipped, let reason)):
                if let local = unit.channels[channel] { unit.upstreamVideoSkipped(skipped, reason: "relay link from unit \(parent.unit): \(reason)", in: local) }
            case .deliver(.error(let error)):
                unit.record(.relayDown, channel: channel, "relay link to \(parent) reports: \(error)")
            case .deliver:
                break
            case .close(let error):
                unit.record(.relayDown, channel: channel, "relay link to \(parent) refused: \(error)")
                connection?.close(promise: nil)
            }
        }
    }

    private func up() {
        guard !isUp else { return }
        isUp = true
        unit.record(.relayUp, channel: channel, "relay link from \(parent.unit)-\(parentGroup) is up (\(mode))")
    }

    private func send(_ message: SessionMessage) {
        guard let connection else { return }
        var buffer = connection.allocator.buffer(capacity: 256)
        guard (try? SessionFrame.message(message).write(to: &buffer)) != nil else { return }
        connection.writeAndFlush(buffer, promise: nil)
    }

    func readComplete() {
        unit.flushMedia()
    }

    /// The session's clock: bind retries, keepalives and the fall-back to TCP.
    private func startTicking() {
        ticker?.cancel()
        ticker = unit.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(100)) { [weak self] in
            guard let self, self.session?.phase == .open else { return }
            self.carryOut(self.session?.tick(now: self.unit.clock.instant()) ?? [])
            self.startTicking()
        }
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
            carryOut(session?.bindDatagram(data, now: unit.clock.instant()) ?? [])
        } else {
            fromParent(data)
        }
    }

    /// A packet from the parent: its seal checked and taken off, then into the feed here.
    private func fromParent(_ sealed: ByteBuffer) {
        guard let packet = parentSeal?.unsealed(sealed), let header = RTPHeaderView(packet),
            streamGuard.check(ssrc: header.ssrc, payloadType: header.payloadType, sequence: header.sequenceNumber) == .accept
        else {
            unit.counters.droppedForgedUplink += 1
            return
        }
        if let local = unit.channels[channel] { unit.ingest(packet, into: local) }
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
        session?.disconnected()
        ticker?.cancel()
        ticker = nil
        guard !closed else { return }
        isUp = false
        unit.record(.relayDown, channel: channel, "relay link to \(parent) broke (\(why)); retrying")
        unit.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { [weak self] in self?.connect() }
    }

    func close() {
        closed = true
        ticker?.cancel()
        connection?.close(promise: nil)
        mediaSocket?.close(promise: nil)
    }
}
