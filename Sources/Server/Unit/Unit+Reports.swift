import DataPlane
import NIOCore
import Wire

extension Unit {
    /// The unit's state for the CSMs: every assigned group and the load.
    func makeReport() -> UnitReport {
        let assigned = groups.compactMap { slot -> GroupReport? in
            guard let channelID = slot.channel else { return nil }
            var udp = 0
            var tcp = 0
            var bytes: UInt64 = 0
            var broadcasterHere = slot.isRoot && channels[channelID]?.publisher != nil
            for id in slot.sessions {
                guard let session = sessions[id] else { continue }
                bytes += session.bytesSent
                switch session.role {
                case .viewer?: if session.mode == .udp { udp += 1 } else { tcp += 1 }
                case .broadcaster?: broadcasterHere = true
                default: break
                }
            }
            return GroupReport(
                group: slot.id, channel: channelID, parent: slot.parent, broadcasterHere: broadcasterHere,
                udpViewers: udp, tcpViewers: tcp, bytesSent: bytes, info: slot.isRoot ? channels[channelID]?.info : nil,
                openedTickets: slot.openedTickets,
                publisher: slot.isRoot ? channels[channelID]?.publisher?.report(now: clock.deadline()) : nil)
        }
        return UnitReport(
            unit: configuration.unit, epoch: epoch, sentAtMilliseconds: clock.wallMilliseconds(), groups: assigned,
            load: UnitLoad(
                viewers: assigned.reduce(0) { $0 + $1.viewers }, bytesPerSecond: load.bytesPerSecond,
                freeGroups: groups.count { $0.isFree }, loopDelayMilliseconds: UInt64(max(load.loopDelay.nanoseconds, 0) / 1_000_000),
                blockedReceivers: channels.values.reduce(0) { sum, channel in
                    sum + channel.fanOut.tcp.count { sessions[$0].map { !$0.connection.isWritable } ?? false }
                }),
            draining: control.draining)
    }

    /// Every heartbeat: status lines, silent UDP peers, old nonces, reports and events to the CSMs.
    func heartbeat() {
        let now = clock.deadline()
        output.noteOtherLoopsFailures()
        flushMedia()  // what the other loops and the routers counted, before the figures use it
        if load.heartbeat(now: now, bytesOut: counters.bytesOut) { overloadChanged() }

        for channel in channels.values where channel.statusChanged { sendStatus(of: channel) }
        expireSilentUDP(now: now)
        closeIdleSessions(now: now)
        admission.expire(nowMilliseconds: clock.wallMilliseconds())
        if let line = admission.refusals.summary(now: now) { record(.sessionRefused, line) }

        let report = makeReport()
        metrics.healthBoard?.withLockedValue { $0 = UnitHealth(report: report, sessions: sessions.count, csmLinksUp: control.links.count(where: \.isConnected)) }
        for index in groups.indices { groups[index].openedTickets.removeAll() }
        metrics.publish(counters, sessions: sessions.count, channels: channels.count, freeGroups: report.load.freeGroups)
        let events = control.takeEvents()
        for link in control.links { link.send(report: report, events: events) }
    }

    /// The loop ran its timers later than `maxLoopDelay` since the last heartbeat, or runs them
    /// in time again: the unit refuses new viewers until it catches up (`LoadGauge`).
    private func overloadChanged() {
        let over = load.overloaded
        let late = "\(load.loopDelay.nanoseconds / 1_000_000) ms"
        if over { logger.warning("unit \(configuration.unit) runs its timers \(late) late: it refuses new viewers until it catches up") }
        record(.error, over ? "overloaded: timers run \(late) late; new viewers are refused" : "caught up: timers run \(late) late; new viewers are welcome again")
    }

    /// Open sessions whose client has gone quiet, except TCP-mode receivers, whose reading the
    /// outbound cap watches.
    private func closeIdleSessions(now: NIODeadline) {
        let timeout = TimeAmount(configuration.sessionIdleTimeout)
        for session in sessions.values where session.phase == .open && now - session.lastHeard > timeout {
            if session.receivesMedia && session.mode == .tcp { continue }
            refuse(session, ControlError(.notAllowed, "nothing heard from this session for \(configuration.sessionIdleTimeout) (no frame, no UDP keepalive); connect again"))
        }
    }

    /// A UDP receiver that stopped sending keepalives gets no more media.
    private func expireSilentUDP(now: NIODeadline) {
        let timeout = TimeAmount(configuration.udpTimeout)
        for (id, address) in udpBindings.expire(silentFor: timeout, now: now) {
            if let session = sessions[id] { apply(session.life.addressSilent("\(address)", for: configuration.udpTimeout), to: session) }
        }
    }
}
