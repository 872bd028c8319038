import DataPlane
import Foundation
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
    /// Checks tickets: the CSMs' public key, which signs nothing.
    let tickets: TicketVerifier
    /// This unit's own link key: it speaks for this unit and no other.
    let linkKey: LinkKey
    /// Makes the cookies that prove a UDP address hears this unit (a fresh key each start).
    let cookieSigner = BindCookieSigner()
    let allocator = ByteBufferAllocator()
    /// Wall-clock milliseconds (tickets, chat and event times); injectable for tests.
    let wallClock: @Sendable () -> UInt64

    var groups: [GroupSlot]
    var channels: [ChannelID: LocalChannel] = [:]
    var sessions: [SessionID: UnitSession] = [:]
    /// Every session's proved UDP address, and which session each address is.
    var udpBindings = UDPBindings()
    /// Nonces of accepted tickets until they expire, to refuse replays.
    var usedNonces: [UInt64: UInt64] = [:]
    /// Connections that have not opened their session yet.
    var unopened: UnopenedPool
    /// Refusals since they were last told to the CSMs.
    var refusals = RefusalTally(now: .now())
    /// Channels whose last group here was freed, until when (wall milliseconds) a ticket alone
    /// may not give them a group again; a CSM command that places them clears it.
    var freedChannels: [ChannelID: UInt64] = [:]
    /// Where media leaves: the routers' outbox applied to the sockets, and every session write.
    let output: MediaOutput
    var address: UnitAddress
    var counters = UnitCounters()
    /// Which CSM this unit obeys, at which epoch (docs/HA.md).
    var lease: UnitLease
    var epoch: UInt64 { lease.epoch }
    var draining = false
    /// Events not yet sent to the CSMs.
    var pendingEvents: [UnitEvent] = []
    var csmLinks: [CSMLink] = []
    /// Where each heartbeat posts the unit's health for `/health`.
    var healthBoard: UnitHealthBoard?
    var metrics: UnitMetrics
    private var nextSessionNumber: UInt64 = 1
    /// Bytes sent per second and how late the loop runs, as of the last heartbeat.
    var load: LoadGauge

    init(configuration: UnitConfiguration, eventLoop: EventLoop, logger: Logger, wallClock: @escaping @Sendable () -> UInt64 = Unit.systemMilliseconds) {
        lease = UnitLease(longest: configuration.longestLease, startGuard: configuration.leaseStartGuard, now: .now)
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.logger = logger
        self.wallClock = wallClock
        let credential = configuration.credential
        tickets = credential.tickets
        linkKey = credential.link
        groups = (1...max(configuration.groupsPerUnit, 1)).map { GroupSlot(id: GroupID(UInt16($0))) }
        unopened = UnopenedPool(total: configuration.unopenedSessions, perNetwork: configuration.unopenedSessionsPerNetwork)
        metrics = UnitMetrics(unit: configuration.unit)
        load = LoadGauge(interval: TimeAmount(configuration.heartbeatInterval), maxLoopDelay: TimeAmount(configuration.maxLoopDelay), now: .now())
        address = UnitAddress(unit: configuration.unit, host: configuration.publicHost, sessionPort: 0, mediaPort: 0)
        output = MediaOutput(eventLoop: eventLoop, logger: logger)
    }

    @Sendable static func systemMilliseconds() -> UInt64 {
        UInt64(Date().timeIntervalSince1970 * 1000)
    }

    func newSessionID() -> SessionID {
        defer { nextSessionNumber += 1 }
        return SessionID(UInt64(configuration.unit.rawValue) << 48 | nextSessionNumber)
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
            unit: configuration.unit, timeMilliseconds: wallClock(), kind: kind, channel: channel, group: group,
            session: session, details: details)
        var metadata: Logger.Metadata = ["event": "\(kind.rawValue)"]
        if let channel { metadata["channel"] = "\(channel)" }
        if let group { metadata["group"] = "\(group)" }
        if let session { metadata["session"] = "\(session)" }
        logger.info("\(details)", metadata: metadata)
        pendingEvents.append(event)
        if pendingEvents.count > 10_000 { pendingEvents.removeFirst(pendingEvents.count - 10_000) }
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
