import Logging
import NIOCore
import ClusterLogic
import Wire

/// The CSM at work: owns the cluster state (one actor, so every decision is serial), sends its
/// commands down the unit links, writes its log, and answers clients and the admin.
actor ClusterManager: ClusterAPI {
    var state: ClusterState
    var failover: FailoverStateMachine
    let name: String
    private let hook: FailoverHook?
    private let peer: PeerLink?
    let metrics: CSMMetrics
    let store: (any EventLogStore)?
    let logger: Logger
    var unitLinks = UnitLinks()
    /// The log on its way to the store; each unit's events within their budgets.
    private var eventLog: CSMEventLog
    /// What time it is (every decision below takes its time from here, never from the system).
    let clock: CSMClock

    /// When this CSM last became primary.
    private var promotedAt: ContinuousClock.Instant?
    private let stateFile: CSMStateFile

    init(
        settings: ClusterSettings, secret: String, name: String, failover: FailoverStateMachine, stateFile: CSMStateFile,
        peer: PeerLink?, hook: FailoverHook?, store: (any EventLogStore)?, retention: LogRetention = LogRetention(),
        unitEventsPerSecond: Double = 100, revokedStreamKeys: [UInt64] = [], logger: Logger, clock: CSMClock
    ) {
        self.clock = clock
        eventLog = CSMEventLog(retention: retention, unitEventsPerSecond: unitEventsPerSecond, now: clock.now())
        state = ClusterState(settings: settings, signer: TicketSigner(secret: secret), wallClock: clock.wallMilliseconds)
        state.revokedStreamKeys = Set(revokedStreamKeys)
        self.failover = failover
        self.stateFile = stateFile
        self.name = name
        self.peer = peer
        self.hook = hook
        metrics = CSMMetrics(name: name)
        self.store = store
        self.logger = logger
    }

    var epoch: UInt64 { failover.epoch }
    /// Primary with a majority's lease running: the only state in which it opens, joins and commands.
    var isPrimary: Bool { failover.mayServe(now: clock.now()) }

    // MARK: Failover

    /// This CSM's role, for `GET /role`.
    struct RoleAnswer: Codable, Sendable {
        var name: String
        var role: FailoverStateMachine.Role
        var epoch: UInt64
    }

    var role: RoleAnswer { RoleAnswer(name: name, role: isPrimary ? .primary : .backup, epoch: epoch) }

    /// A backup drops an address a crashed earlier run of this CSM may have left behind; the
    /// address is claimed on promotion.
    func started() async {
        runHook("demote", epoch)
        await handle(failover.tick(now: clock.now()))
    }

    func peerHeartbeat(_ heartbeat: Heartbeat) async {
        if heartbeat.role == .primary, !isPrimary, heartbeat.epoch >= failover.highestEpoch {
            if let units = heartbeat.units, failover.adopt(members: Set(units)) { remember() }
            if let next = heartbeat.nextChannel { state.nextChannel = max(state.nextChannel, next) }
            if let revoked = heartbeat.revokedStreamKeys, !state.revokedStreamKeys.isSuperset(of: revoked) {
                state.revokedStreamKeys.formUnion(revoked)
                remember()
            }
        }
        await handle(failover.peerHeartbeat(heartbeat, now: clock.now()))
    }

    func leaseAnswered(by unit: UnitID, id: UInt64, epoch: UInt64, grantedMilliseconds: UInt64?, holder: String?) async {
        let now = clock.now()
        if failover.role == .primary {
            state.setObeys(unit, grantedMilliseconds != nil, holder: holder)
        }
        await handle(failover.leaseAnswered(
            by: unit, id: id, unitEpoch: epoch, granted: grantedMilliseconds.map { .milliseconds($0) }, now: now))
    }

    private func handle(_ actions: [FailoverStateMachine.Action]) async {
        for action in actions {
            switch action {
            case .remember:
                remember()
            case .requestLeases(let id, let epoch, let duration):
                unitLinks.sendToAll(.leaseRequest(id: id, epoch: epoch, milliseconds: duration.wholeMilliseconds))
            case .promoted(let epoch):
                promotedAt = clock.now()
                // Work goes only to the units that granted this CSM their lease.
                for unit in state.units.keys where !failover.holdsLease(of: unit, now: clock.now()) { state.awaitLease(unit) }
                state.log("csmPromoted", "\(name) is primary at epoch \(epoch): a majority of the \(failover.members.count) registered units granted it their lease")
                runHook("promote", epoch)
            case .demoted(let epoch, let reason):
                promotedAt = nil
                state.log("csmDemoted", "\(name) is backup: \(reason)")
                runHook("demote", epoch)
            }
        }
        await carryOut()
    }

    /// Writes the epoch and the members to disk; a CSM that cannot says so loudly.
    func remember() {
        do {
            try stateFile.save(.init(
                epoch: failover.highestEpoch, units: failover.members.sorted(), revokedStreamKeys: state.revokedStreamKeys.sorted()))
        } catch {
            logger.error("\(error)")
        }
    }

    private func runHook(_ event: String, _ epoch: UInt64) {
        guard let hook else { return }
        let logger = logger
        Task.detached { hook.run(event, epoch: epoch, logger: logger) }
    }

    // MARK: Units

    /// A unit announced itself on `link`; nil, or the error to send before closing.
    func unitAnnounced(_ announcement: UnitAnnouncement, link: UInt64, channel: any Channel) async -> ControlError? {
        await handle(failover.unitSaw(epoch: announcement.epoch))
        if let error = state.announce(announcement, now: clock.now()) {
            await carryOut()
            return error
        }
        let unit = announcement.address.unit
        unitLinks.register(unit, link: link, channel: channel)
        if failover.role == .primary, !failover.holdsLease(of: unit, now: clock.now()) { state.awaitLease(unit) }
        if failover.registered(unit) { remember() }
        // Asked at once rather than at the next beat, so its first commands find it obeying.
        if case .requestLeases(let id, let epoch, let duration)? = failover.askNow(now: clock.now()) {
            UnitLinks.write(.leaseRequest(id: id, epoch: epoch, milliseconds: duration.wholeMilliseconds), to: channel)
        }
        await carryOut()
        return nil
    }

    func unitReported(_ report: UnitReport) async {
        // Learning from reports ends a while after promotion: by then every unit has reported.
        state.hasOwnView = isPrimary && promotedAt.map { clock.now() - $0 > state.settings.failureTimeout * 2 } ?? false
        state.report(report, now: clock.now())
        await handle(failover.unitSaw(epoch: report.epoch))
    }

    func unitEvent(_ event: UnitEvent) {
        eventLog.admit(event, now: clock.now())
    }

    func unitLinkClosed(_ unit: UnitID, link: UInt64) {
        // Only forget the link the unit still uses: a reconnect may already have replaced it.
        guard unitLinks.closed(unit, link: link) else { return }
        state.linkClosed(unit, now: clock.now())
        Task { await self.carryOut() }
    }

    /// Every heartbeat: heartbeats to the peer and the units; the primary handles failures and
    /// shrinking, the backup watches the primary.
    func tick() async {
        let now = clock.now()
        if isPrimary { state.tick(now: now) }
        metrics.record(
            units: state.units.count, channels: state.channels.count,
            viewers: state.channels.keys.reduce(0) { $0 + state.viewers(of: $1, at: now) }, epoch: epoch, primary: isPrimary)
        await handle(failover.tick(now: now))
        let primary = isPrimary
        unitLinks.sendToAll(.heartbeat(epoch: epoch, primary: primary))
        let heartbeat = Heartbeat(
            csm: name, role: primary ? .primary : .backup, epoch: epoch, sentAtMilliseconds: clock.wallMilliseconds(),
            units: primary ? failover.members.sorted() : nil, nextChannel: primary ? state.nextChannel : nil,
            revokedStreamKeys: primary && !state.revokedStreamKeys.isEmpty ? state.revokedStreamKeys.sorted() : nil)
        if let peer { Task { await peer.send(heartbeat) } }
        for (unit, count) in eventLog.takeDropped() {
            state.log("eventsDropped", unit: unit, "unit \(unit) sent events faster than its budget; \(count) dropped")
        }
        if eventLog.pruneIsDue(now: now), let store {
            do {
                try await store.prune(eventLog.retention, nowMilliseconds: clock.wallMilliseconds())
            } catch {
                logger.error("cannot prune the event log: \(error)")
            }
        }
    }

    /// Sends the state's commands and stores its log lines.
    func carryOut() async {
        for action in state.drainActions() {
            switch action {
            case .command(let unit, let unitAction):
                // Only the primary commands; a backup's view follows the units' reports.
                if isPrimary { unitLinks.send(unitAction, to: unit, epoch: epoch) }
            case .log(let entry):
                logger.info("\(entry.details)", metadata: ["event": "\(entry.kind)"])
                eventLog.append(entry)
            }
        }
        let entries = eventLog.takePending()
        guard let store, !entries.isEmpty else { return }
        do {
            try await store.append(entries)
        } catch {
            logger.error("cannot write the event log: \(error)")
        }
    }
}
