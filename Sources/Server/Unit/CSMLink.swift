import NIOCore
import NIOPosix
import Wire

/// A unit's control link to one CSM: the link handshake (both sides prove the cluster key), then
/// announce, a report every heartbeat, events, and the CSM's commands back. Reconnects while the
/// CSM is away, soon at first and then every half second (`ReconnectBackoff`); the data plane
/// never waits on it.
final class CSMLink: FrameLink {
    private unowned let unit: Unit
    let host: String
    let port: Int
    private var connection: Channel?
    private var awaitingHello = true
    /// The CSM's name from its hello: whom a lease is granted to.
    private(set) var csmName = ""
    private var closed = false
    private var backoff = ReconnectBackoff()

    init(unit: Unit, host: String, port: Int) {
        self.unit = unit
        self.host = host
        self.port = port
    }

    var isConnected: Bool { connection != nil }

    func start() {
        guard !closed else { return }
        awaitingHello = true
        let handshake = LinkHandshake.initiator(role: .unit, name: LinkIdentity.name(of: unit.configuration.unit), key: unit.control.linkKey)
        connect(on: unit.eventLoop, host: host, port: port, framer: .control, timeout: .seconds(1), logger: unit.logger, handshake: handshake)
            .assumeIsolated().whenComplete { result in
                // On the unit's loop: the link is used directly, no Sendable box needed.
                let link = self
                switch result {
                case .success(let connection):
                    if link.closed { connection.close(promise: nil); return }
                    link.connection = connection
                case .failure:
                    link.retry()
                }
            }
    }

    /// The CSM proved the key: say who this unit is and what it holds.
    private func authenticated() {
        backoff.linkWorks()
        write(.announce(UnitAnnouncement(
            address: unit.address, adminPort: nil, groupsPerUnit: unit.configuration.groupsPerUnit,
            groupCapacity: unit.configuration.groupCapacity, epoch: unit.epoch)))
        write(.report(unit.makeReport()))
    }

    private func retry() {
        connection = nil
        guard !closed else { return }
        let wait = backoff.delay(jitter: .random(in: 0...1))
        unit.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(wait)) { [weak self] in self?.start() }
    }

    func write(_ message: UnitMessage) {
        guard let connection else { return }
        guard let frame = try? ControlCoder.frame(message) else { return }
        connection.writeAndFlush(frame, promise: nil)
    }

    func send(report: UnitReport, events: [UnitEvent]) {
        for event in events { write(.event(event)) }
        write(.report(report))
    }

    /// A frame from the CSM; the first is its hello, passed on once it proved the key.
    func received(_ frame: ByteBuffer) {
        if awaitingHello {
            awaitingHello = false
            csmName = (try? ControlCoder.decodeHello(from: frame))?.name ?? "\(host):\(port)"
            authenticated()
            return
        }
        let message: CSMMessage
        do {
            message = try ControlCoder.decode(CSMMessage.self, from: frame)
        } catch {
            unit.counters.droppedMalformed += 1
            unit.logger.warning("CSM \(host):\(port): message refused: \(error)")
            return
        }
        switch message {
        case .leaseRequest(let id, let epoch, let milliseconds):
            let before = unit.control.lease.owner
            switch unit.control.lease.request(from: csmName, epoch: epoch, for: .milliseconds(milliseconds), now: unit.clock.instant()) {
            case .success(let granted):
                if before != csmName {
                    unit.record(.leaseGranted, "obeys \(csmName) (\(host):\(port)) from epoch \(epoch)")
                }
                write(.lease(id: id, epoch: unit.epoch, grantedMilliseconds: granted.wholeMilliseconds, holder: nil))
            case .failure(let refusal):
                let holder: String? = if case .heldBy(let owner, _) = refusal { owner } else { nil }
                write(.lease(id: id, epoch: unit.epoch, grantedMilliseconds: nil, holder: holder))
            }
        case .command(let id, let epoch, let action):
            guard unit.control.lease.obeys(csmName, epoch: epoch) else {
                let holder = unit.control.lease.owner.map { "\($0) at epoch \(unit.epoch)" } ?? "no CSM yet"
                unit.record(.staleCommandRefused, "refused a command of epoch \(epoch) from \(csmName) (\(host):\(port)); this unit obeys \(holder)")
                write(.commandResult(id: id, error: ControlError(.staleEpoch, "this unit obeys \(holder), not \(csmName) at epoch \(epoch)")))
                return
            }
            write(.commandResult(id: id, error: unit.execute(action)))
            unit.flushMedia()
        case .publishPlaced(let id, let channel, let group):
            let waiting = unit.control.takePublishRequest(id)
            waiting?(.success((channel, group)))
        case .publishRefused(let id, let error):
            let waiting = unit.control.takePublishRequest(id)
            waiting?(.failure(error))
        case .heartbeat:
            break
        case .error(let error):
            unit.logger.warning("CSM \(host):\(port) reports: \(error)")
        case .hello:
            break
        }
    }

    func disconnected() {
        retry()
    }

    func close() {
        closed = true
        connection?.close(promise: nil)
    }
}
