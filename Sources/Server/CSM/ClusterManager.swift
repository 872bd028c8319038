import Logging
import NIOCore
import ClusterLogic
import Wire

/// The CSM at work: owns the cluster state (one actor, so every decision is serial), sends its
/// commands down the unit links, writes its log, and answers clients and the admin.
actor ClusterManager: ClusterAPI {
    private var state: ClusterState
    private var failover: FailoverStateMachine
    let name: String
    private let hook: FailoverHook?
    private let peer: PeerLink?
    private let metrics: CSMMetrics
    private let store: (any EventLogStore)?
    private let logger: Logger
    /// Commands go straight onto each unit's channel, so they leave in the order decided even
    /// while this actor awaits something else.
    private var unitLinks: [UnitID: (link: UInt64, channel: any Channel)] = [:]
    private var nextCommandID: UInt64 = 1
    private var pendingLog: [ClusterLogEntry] = []
    private let retention: LogRetention
    private var lastPrune: ContinuousClock.Instant
    /// What time it is: the system's clock in service, a simulated one in tests and benchmarks
    /// (every decision below takes its time from here, never from the clock itself).
    private let clock: @Sendable () -> ContinuousClock.Instant
    /// Events each unit may send: a flood from one is dropped, not stored.
    private var eventBudget: RequestRateLimiter
    private var eventsDropped: [UnitID: Int] = [:]

    /// The registered units a majority is counted over (docs/HA.md), on disk with the epoch.
    private var members: Set<UnitID>
    /// When this CSM last became primary.
    private var promotedAt: ContinuousClock.Instant?
    private let stateFile: CSMStateFile

    init(
        settings: ClusterSettings, secret: String, name: String, failover: FailoverStateMachine, stateFile: CSMStateFile,
        members: Set<UnitID>, peer: PeerLink?, hook: FailoverHook?, store: (any EventLogStore)?, retention: LogRetention = LogRetention(),
        unitEventsPerSecond: Double = 100, logger: Logger, clock: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.clock = clock
        lastPrune = clock()
        self.retention = retention
        eventBudget = RequestRateLimiter(burst: Int(unitEventsPerSecond * 10), perSecond: unitEventsPerSecond)
        state = ClusterState(settings: settings, signer: TicketSigner(secret: secret), wallClock: Unit.systemMilliseconds)
        self.failover = failover
        self.stateFile = stateFile
        self.members = members
        self.name = name
        self.peer = peer
        self.hook = hook
        metrics = CSMMetrics(name: name)
        self.store = store
        self.logger = logger
    }

    var epoch: UInt64 { failover.epoch }
    /// Primary with a majority's lease running: the only state in which it opens, joins and commands.
    var isPrimary: Bool { failover.mayServe(members: members, now: clock()) }

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
        await handle(failover.tick(now: clock(), members: members))
    }

    func peerHeartbeat(_ heartbeat: Heartbeat) async {
        if heartbeat.role == .primary, !isPrimary, heartbeat.epoch >= failover.highestEpoch {
            if let units = heartbeat.units, Set(units) != members {
                members = Set(units)
                remember()
            }
            if let next = heartbeat.nextChannel { state.nextChannel = max(state.nextChannel, next) }
        }
        await handle(failover.peerHeartbeat(heartbeat, now: clock()))
    }

    func leaseAnswered(by unit: UnitID, id: UInt64, epoch: UInt64, grantedMilliseconds: UInt64?, holder: String?) async {
        let now = clock()
        if failover.role == .primary {
            state.setObeys(unit, grantedMilliseconds != nil, holder: holder)
        }
        await handle(failover.leaseAnswered(
            by: unit, id: id, unitEpoch: epoch, granted: grantedMilliseconds.map { .milliseconds($0) }, members: members,
            now: now))
    }

    private func handle(_ actions: [FailoverStateMachine.Action]) async {
        for action in actions {
            switch action {
            case .remember:
                remember()
            case .requestLeases(let id, let epoch, let duration):
                for (_, link) in unitLinks.values {
                    write(.leaseRequest(id: id, epoch: epoch, milliseconds: duration.wholeMilliseconds), to: link)
                }
            case .promoted(let epoch):
                promotedAt = clock()
                // Work goes only to the units that granted this CSM their lease.
                for unit in state.units.keys where !failover.holdsLease(of: unit, now: clock()) { state.awaitLease(unit) }
                state.log("csmPromoted", "\(name) is primary at epoch \(epoch): a majority of the \(members.count) registered units granted it their lease")
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
    private func remember() {
        do {
            try stateFile.save(.init(epoch: failover.highestEpoch, units: members.sorted()))
        } catch {
            logger.error("\(error)")
        }
    }

    private func runHook(_ event: String, _ epoch: UInt64) {
        guard let hook else { return }
        let logger = logger
        Task.detached { hook.run(event, epoch: epoch, logger: logger) }
    }

    private func send(_ action: UnitAction, to unit: UnitID, epoch: UInt64) {
        guard let link = unitLinks[unit]?.channel else { return }
        let id = nextCommandID
        nextCommandID += 1
        write(CSMMessage.command(id: id, epoch: epoch, action: action), to: link)
    }

    private func write(_ message: CSMMessage, to link: any Channel) {
        var buffer = ByteBuffer()
        guard let body = try? ControlCoder.encode(message), (try? LengthPrefixedFramer.control.write(bytes: body, to: &buffer)) != nil
        else { return }
        link.writeAndFlush(buffer, promise: nil)
    }

    // MARK: Units

    /// A unit announced itself on `link`; nil, or the error to send before closing.
    func unitAnnounced(_ announcement: UnitAnnouncement, link: UInt64, channel: any Channel) async -> ControlError? {
        await handle(failover.unitSaw(epoch: announcement.epoch))
        if let error = state.announce(announcement, now: clock()) {
            await carryOut()
            return error
        }
        let unit = announcement.address.unit
        unitLinks[unit] = (link, channel)
        if failover.role == .primary, !failover.holdsLease(of: unit, now: clock()) { state.awaitLease(unit) }
        if members.insert(unit).inserted { remember() }
        // Asked at once rather than at the next beat, so its first commands find it obeying.
        if case .requestLeases(let id, let epoch, let duration)? = failover.askNow(now: clock()) {
            write(.leaseRequest(id: id, epoch: epoch, milliseconds: duration.wholeMilliseconds), to: channel)
        }
        await carryOut()
        return nil
    }

    func unitReported(_ report: UnitReport) async {
        // Learning from reports ends a while after promotion: by then every unit has reported.
        state.hasOwnView = isPrimary && promotedAt.map { clock() - $0 > state.settings.failureTimeout * 2 } ?? false
        state.report(report, now: clock())
        await handle(failover.unitSaw(epoch: report.epoch))
    }

    func unitEvent(_ event: UnitEvent) {
        // Each unit has two budgets: what its clients cause, and its own work (groups, relays, leases).
        guard eventBudget.admit("\(event.unit) \(event.kind.isCausedByClients ? "clients" : "unit")", now: clock()) == nil else {
            eventsDropped[event.unit, default: 0] += 1
            return
        }
        pendingLog.append(ClusterLogEntry(
            unit: event.unit, timeMilliseconds: event.timeMilliseconds, kind: event.kind.rawValue, channel: event.channel,
            group: event.group, details: event.details))
    }

    func unitLinkClosed(_ unit: UnitID, link: UInt64) {
        // Only forget the link the unit still uses: a reconnect may already have replaced it.
        guard unitLinks[unit]?.link == link else { return }
        unitLinks[unit] = nil
        state.linkClosed(unit, now: clock())
        Task { await self.carryOut() }
    }

    /// Every heartbeat: heartbeats to the peer and the units; the primary handles failures and
    /// shrinking, the backup watches the primary.
    func tick() async {
        let now = clock()
        if isPrimary { state.tick(now: now) }
        metrics.record(
            units: state.units.count, channels: state.channels.count,
            viewers: state.channels.keys.reduce(0) { $0 + state.viewers(of: $1, at: now) }, epoch: epoch, primary: isPrimary)
        await handle(failover.tick(now: now, members: members))
        let primary = isPrimary
        for (_, link) in unitLinks.values { write(.heartbeat(epoch: epoch, primary: primary), to: link) }
        let heartbeat = Heartbeat(
            csm: name, role: primary ? .primary : .backup, epoch: epoch, sentAtMilliseconds: Unit.systemMilliseconds(),
            units: primary ? members.sorted() : nil, nextChannel: primary ? state.nextChannel : nil)
        if let peer { Task { await peer.send(heartbeat) } }
        for (unit, count) in eventsDropped {
            state.log("eventsDropped", unit: unit, "unit \(unit) sent events faster than its budget; \(count) dropped")
        }
        eventsDropped.removeAll()
        if now - lastPrune > LogRetention.interval, let store {
            lastPrune = now
            do {
                try await store.prune(retention, nowMilliseconds: Unit.systemMilliseconds())
            } catch {
                logger.error("cannot prune the event log: \(error)")
            }
        }
    }

    /// Sends the state's commands and stores its log lines.
    private func carryOut() async {
        for action in state.drainActions() {
            switch action {
            case .command(let unit, let unitAction):
                // Only the primary commands; a backup's view follows the units' reports.
                if isPrimary { send(unitAction, to: unit, epoch: epoch) }
            case .log(let entry):
                logger.info("\(entry.details)", metadata: ["event": "\(entry.kind)"])
                pendingLog.append(entry)
            }
        }
        guard let store, !pendingLog.isEmpty else { return }
        let entries = pendingLog
        pendingLog.removeAll()
        do {
            try await store.append(entries)
        } catch {
            logger.error("cannot write the event log: \(error)")
        }
    }

    // MARK: Clients

    private var notPrimary: ControlError {
        if failover.role == .primary {
            return ControlError(.notPrimary, "this CSM (\(name)) holds the lease of fewer than a majority of its \(members.count) units; try again in a moment")
        }
        return ControlError(.notPrimary, "this CSM (\(name)) is the backup at epoch \(epoch); ask the next CSM address")
    }

    /// `client` nil: the admin, who is not held to the cap on live channels per client.
    func openChannel(_ request: OpenChannelRequest, client: String?) async -> Result<OpenChannelResponse, ControlError> {
        guard isPrimary else { return .failure(notPrimary) }
        let title = ChatText.clean(request.title, maxBytes: OpenChannelRequest.maxTitleLength) ?? "Untitled"
        let name = ChatText.clean(request.broadcasterName, maxBytes: OpenChannelRequest.maxNameLength) ?? "anonymous"
        let result = state.open(title: title, broadcasterName: name, client: client, now: clock())
        if case .success = result { metrics.opens.increment() } else { metrics.refusals.increment() }
        await carryOut()
        return result.flatMap { channel, root in broadcasterAnswer(channel, root) }
    }

    func rejoinBroadcaster(_ channel: ChannelID, secret: String) async -> Result<OpenChannelResponse, ControlError> {
        guard isPrimary else { return .failure(notPrimary) }
        return state.broadcasterPlace(channel, secret: secret).flatMap { broadcasterAnswer(channel, $0) }
    }

    private func broadcasterAnswer(_ channel: ChannelID, _ root: GroupLocation) -> Result<OpenChannelResponse, ControlError> {
        guard let address = state.units[root.unit]?.address else {
            return .failure(ControlError(.internalError, "the root unit of channel \(channel) is gone; try again in a moment"))
        }
        return .success(OpenChannelResponse(
            channel: channel, unit: address,
            ticket: state.ticket(.broadcaster, channel: channel, at: root, lifetime: state.settings.ticketLifetime),
            secret: state.secret(of: channel)))
    }

    func joinChannel(_ channel: ChannelID) async -> Result<JoinChannelResponse, ControlError> {
        guard isPrimary else { return .failure(notPrimary) }
        // The ticket's nonce is the place's: the unit reports it once the viewer has come.
        let nonce = UInt64.random(in: .min ... .max)
        let result = state.join(channel, nonce: nonce, now: clock())
        if case .success = result { metrics.joins.increment() } else { metrics.refusals.increment() }
        await carryOut()
        return result.flatMap { location in
            guard let address = state.units[location.unit]?.address else {
                return .failure(ControlError(.internalError, "unit \(location.unit) is gone; try again"))
            }
            return .success(JoinChannelResponse(
                channel: channel, unit: address,
                ticket: state.ticket(.viewer, channel: channel, at: location, lifetime: state.settings.ticketLifetime, nonce: nonce)))
        }
    }

    func closeChannel(_ channel: ChannelID, secret: String) async -> ControlError? {
        guard isPrimary else { return notPrimary }
        guard state.checkSecret(secret, of: channel) else {
            return ControlError(.notAllowed, "wrong secret for channel \(channel); use the secret printed when it was opened")
        }
        let error = state.close(channel)
        await carryOut()
        return error
    }

    func listChannels() -> [ChannelSummary] {
        let now = clock()
        return state.channels.values.sorted { $0.id < $1.id }.map {
            ChannelSummary(
                channel: $0.id, title: $0.title, broadcasterName: $0.broadcasterName, viewers: state.viewers(of: $0.id, at: now),
                startedAtMilliseconds: $0.startedAtMilliseconds)
        }
    }

    // MARK: Admin

    func view() -> ClusterView { state.view(epoch: epoch, at: clock()) }

    func adminClose(_ channel: ChannelID) async -> ControlError? {
        guard isPrimary else { return notPrimary }
        let error = state.close(channel)
        await carryOut()
        return error
    }

    func adminExpand(_ channel: ChannelID) async -> ControlError? {
        guard isPrimary else { return notPrimary }
        guard state.channels[channel] != nil else { return ControlError(.unknownChannel, "channel \(channel) is not live") }
        let placed = state.expand(channel, from: nil, now: clock())
        await carryOut()
        return placed == nil ? ControlError(.noRoom, "no unit has a free group") : nil
    }

    func adminShrink(_ channel: ChannelID) async -> ControlError? {
        guard isPrimary else { return notPrimary }
        guard state.channels[channel] != nil else { return ControlError(.unknownChannel, "channel \(channel) is not live") }
        let freed = state.shrink(channel, now: clock(), force: true)
        await carryOut()
        return freed == nil ? ControlError(.notAllowed, "channel \(channel) has no empty leaf group to free") : nil
    }

    func adminDrain(_ unit: UnitID, _ on: Bool) async -> ControlError? {
        guard isPrimary else { return notPrimary }
        let error = state.drain(unit, on)
        await carryOut()
        return error
    }

    /// Removes a unit for good: it no longer counts towards a majority. Allowed on a backup too,
    /// since an operator's word that a unit is gone is what lets a cluster that lost too many
    /// units get a primary again.
    func adminRemove(_ unit: UnitID) async -> ControlError? {
        if members.remove(unit) != nil { remember() }
        guard isPrimary else { return state.units[unit] == nil ? nil : notPrimary }
        let error = state.remove(unit, now: clock())
        await carryOut()
        return error
    }

    func log(matching filter: LogFilter) async throws -> [ClusterLogEntry] {
        await carryOut()
        return try await store?.entries(matching: filter) ?? []
    }
}
