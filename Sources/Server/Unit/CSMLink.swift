import NIOCore
import NIOPosix
import Wire

/// A unit's control link to one CSM: the link handshake (both sides prove the cluster key), then
/// announce, a report every heartbeat, events, and the CSM's commands back. Reconnects every second
/// while the CSM is away; the data plane never waits on it.
final class CSMLink: FrameLink {
    private unowned let unit: Unit
    let host: String
    let port: Int
    private var connection: Channel?
    private var awaitingHello = true
    private var closed = false
    /// Last time this CSM was heard from (or the link was made); tells whether the unit lost it.
    private(set) var lastHeard = NIODeadline.now()

    init(unit: Unit, host: String, port: Int) {
        self.unit = unit
        self.host = host
        self.port = port
    }

    var isConnected: Bool { connection != nil }

    func start() {
        guard !closed else { return }
        awaitingHello = true
        let handshake = LinkHandshake.initiator(role: .unit, name: "unit \(unit.configuration.unit)", key: unit.linkKey)
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
        write(.announce(UnitAnnouncement(
            address: unit.address, adminPort: nil, groupsPerUnit: unit.configuration.groupsPerUnit,
            groupCapacity: unit.configuration.groupCapacity, epoch: unit.epoch)))
        write(.report(unit.makeReport()))
    }

    private func retry() {
        connection = nil
        guard !closed else { return }
        unit.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) { [weak self] in self?.start() }
    }

    func write(_ message: UnitMessage) {
        guard let connection else { return }
        var buffer = connection.allocator.buffer(capacity: 512)
        guard let body = try? ControlCoder.encode(message), (try? LengthPrefixedFramer.control.write(bytes: body, to: &buffer)) != nil
        else { return }
        connection.writeAndFlush(buffer, promise: nil)
    }

    func send(report: UnitReport, events: [UnitEvent]) {
        for event in events { write(.event(event)) }
        write(.report(report))
    }

    /// A frame from the CSM; the first is its hello, passed on once it proved the key.
    func received(_ frame: ByteBuffer) {
        lastHeard = .now()
        if awaitingHello {
            awaitingHello = false
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
        case .command(_, _, .confirmPrimaryLost):
            // A question, not a command: a backup may ask before it has learnt the epoch.
            write(.primaryStatus(epoch: unit.epoch, lostPrimary: unit.hasLostPrimary(except: self)))
        case .command(let id, let epoch, let action):
            guard epoch >= unit.epoch else {
                unit.record(.staleCommandRefused, "refused a command of epoch \(epoch) from \(host):\(port); the highest epoch seen is \(unit.epoch)")
                write(.commandResult(id: id, error: ControlError(.staleEpoch, "epoch \(epoch) is below \(unit.epoch); this CSM is no longer primary")))
                return
            }
            unit.epoch = epoch
            write(.commandResult(id: id, error: unit.execute(action)))
            unit.flushMedia()
        case .heartbeat(let epoch, let primary):
            if primary && epoch > unit.epoch { unit.epoch = epoch }
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
