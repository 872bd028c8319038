import DataPlane
import Logging
import NIOCore
import NIOPosix
import Wire

/// A streaming unit (docs/ARCHITECTURE.md, one packet): `groupsPerUnit` groups, one channel feed per
/// channel, UDP fan-out and TCP cursors, chat, relay links, reports. Every piece of its state
/// lives on one event loop, so the per-packet path takes no lock; with `--threads` the other
/// loops get their sends and writes from it once per batch, as buffers nobody changes after.
final class Unit {
    let configuration: UnitConfiguration
    let eventLoop: EventLoop
    let logger: Logger
    let clock: UnitClock

    var groups: [GroupSlot]
    var channels: [ChannelID: LocalChannel] = [:]
    var sessions: [SessionID: UnitSession] = [:]
    /// Every session's proved UDP address, which session each address is, and the cookies that prove one.
    var udpBindings = UDPBindings()
    /// Who may open a session: unopened connections, tickets (with the CSMs' public key, which
    /// signs nothing), and the refusals to tell.
    var admission: SessionAdmission
    /// Where media leaves: the routers' outbox applied to the sockets, and every session write.
    let output: MediaOutput
    var address: UnitAddress
    var counters = UnitCounters()
    /// Its link key, which CSM it obeys at which epoch, its CSM links and the events for them.
    var control: UnitControl
    var epoch: UInt64 { control.lease.epoch }
    /// Its figures: the Prometheus series and `/health`.
    var metrics: UnitMetrics
    /// Bytes sent per second and how late the loop runs, as of the last heartbeat.
    var load: LoadGauge

    init(configuration: UnitConfiguration, eventLoop: EventLoop, logger: Logger, clock: UnitClock = .system) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.logger = logger
        self.clock = clock
        let credential = configuration.credential
        control = UnitControl(
            linkKey: credential.link,
            lease: UnitLease(longest: configuration.longestLease, startGuard: configuration.leaseStartGuard, now: clock.instant()))
        groups = (1...max(configuration.groupsPerUnit, 1)).map { GroupSlot(id: GroupID(UInt16($0))) }
        admission = SessionAdmission(
            tickets: credential.tickets,
            limits: (
                unit: configuration.unit, groupCapacity: configuration.groupCapacity, sessionLimit: configuration.sessionLimit,
                channelTombstone: configuration.channelTombstone),
            unopened: UnopenedPool(total: configuration.unopenedSessions, perNetwork: configuration.unopenedSessionsPerNetwork),
            now: clock.deadline())
        metrics = UnitMetrics(unit: configuration.unit)
        load = LoadGauge(interval: TimeAmount(configuration.heartbeatInterval), maxLoopDelay: TimeAmount(configuration.maxLoopDelay), now: clock.deadline())
        address = UnitAddress(unit: configuration.unit, host: configuration.publicHost, sessionPort: 0, mediaPort: 0)
        output = MediaOutput(eventLoop: eventLoop, logger: logger)
    }

    /// The slots of the groups that serve a channel here: the one record of which groups those
    /// are is each slot's channel.
    func slots(of channel: ChannelID) -> [Int] {
        groups.indices.filter { groups[$0].channel == channel }
    }

    /// The slot of a group number, when the unit has it.
    func slotIndex(_ group: GroupID) -> Int? {
        let index = Int(group.rawValue) - 1
        return groups.indices.contains(index) ? index : nil
    }

    /// Logs an event and queues it for every CSM.
    func record(
        _ kind: UnitEvent.Kind, channel: ChannelID? = nil, group: GroupID? = nil, session: SessionID? = nil, _ details: String
    ) {
        let event = UnitEvent(
            unit: configuration.unit, timeMilliseconds: clock.wallMilliseconds(), kind: kind, channel: channel, group: group,
            session: session, details: details)
        var metadata: Logger.Metadata = ["event": "\(kind.rawValue)"]
        if let channel { metadata["channel"] = "\(channel)" }
        if let group { metadata["group"] = "\(group)" }
        if let session { metadata["session"] = "\(session)" }
        logger.info("\(details)", metadata: metadata)
        control.queue(event)
    }

    /// Flushes everything routed and written while handling the last batch of reads.
    func flushMedia() {
        output.flush()
        let (routed, sent) = output.takeCounters()
        counters.packetsIn += routed.packetsIn
        counters.droppedMalformed += routed.droppedMalformed
        counters.tcpPacketsOut += routed.tcpPacketsOut
        counters.tcpWrites += routed.tcpWrites
        counters.udpPacketsOut += sent.udpPacketsOut
        counters.bytesOut += routed.tcpBytesOut + sent.udpBytesOut
        counters.udpSendsDropped += sent.udpSendsDropped
        counters.udpSendsFailed += sent.udpSendsFailed
    }

    /// Sends one session message now, in order with the media written to the session before it.
    func send(_ message: SessionMessage, to session: UnitSession) {
        output.send(message, to: session)
    }

    /// Closes a session's connection after what was written to it.
    func close(_ session: UnitSession) {
        output.close(session)
    }
}
