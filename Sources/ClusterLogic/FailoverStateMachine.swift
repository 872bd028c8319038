import Wire

/// Who is the primary CSM (docs/HA.md; the Promela model in Tests/HA/failover.pml follows it).
/// Pure: every input says what time it is, every decision comes back as actions.
///
/// A CSM is primary only while it holds a lease from a majority of the cluster's registered units
/// (`UnitLease` is the units' side: one lease at a time, each epoch to one CSM). A primary asks
/// every heartbeat; it counts a lease from the moment it sent the request, so its own view runs
/// out before the unit's. Without a majority it stops serving and steps down. A backup that hears
/// no primary campaigns: it asks at one above every epoch it has seen, and is primary once a
/// majority granted it; epochs seen and held are kept on disk. Two CSMs that both find no primary
/// resolve it by name: the higher one lets a lower peer it hears go first for a lease time, and
/// after a split campaign each waits (the higher one a lease time longer) before it asks again.
package struct FailoverStateMachine: Sendable {
    package enum Role: String, Sendable, Codable { case primary, backup }

    package enum Action: Equatable, Sendable {
        /// Keep this epoch on disk before anything else goes out: a restarted CSM never goes below it.
        case remember(epoch: UInt64)
        /// Ask every unit for a lease at `epoch`; the answers come back to `leaseAnswered` by `id`.
        case requestLeases(id: UInt64, epoch: UInt64, duration: Duration)
        case promoted(epoch: UInt64)
        case demoted(epoch: UInt64, reason: String)
    }

    package let name: String
    package let leaseDuration: Duration
    package let heartbeatInterval: Duration
    /// No peer is configured: nobody else can be primary, so no majority is needed.
    package let alone: Bool
    package private(set) var role: Role = .backup
    /// The highest epoch this CSM has seen granted or held; on disk.
    package private(set) var highestEpoch: UInt64
    /// The epoch it is primary at, or campaigns at.
    private var ownEpoch: UInt64 = 0
    /// Lease expiry per unit, by this CSM's own clock, for `ownEpoch`.
    private var leases: [UnitID: ContinuousClock.Instant] = [:]
    /// Requests not yet too old to matter: when each was sent and at which epoch.
    private var requests: [UInt64: (sentAt: ContinuousClock.Instant, epoch: UInt64)] = [:]
    private var nextRequest: UInt64 = 1
    /// Asking for leases at `ownEpoch` as a backup.
    private var campaigning = false
    /// A unit refused this campaign's epoch because it is at that epoch or past it.
    private var outbid = false
    /// Since when this campaign has held some lease.
    private var holdingSince: ContinuousClock.Instant?
    private var pausedUntil: ContinuousClock.Instant
    private var peer: (name: String, role: Heartbeat.Role, heardAt: ContinuousClock.Instant)?
    private var noPrimarySince: ContinuousClock.Instant?
    /// The registered units a majority is counted over (docs/HA.md), on disk with the epoch:
    /// every unit that announced, until an operator removes it, or the primary's list.
    package private(set) var members: Set<UnitID>
    /// The members as last looked at, and since when: a campaign waits for the set to settle.
    private var knownMembers: Set<UnitID> = []
    private var membersChangedAt: ContinuousClock.Instant

    /// `preferred`: started without `--backup`, so it campaigns at once; a backup first waits a
    /// lease time to hear a primary. `members`: the registered units kept on disk, settled already.
    package init(
        name: String, highestEpoch: UInt64, members: Set<UnitID> = [], preferred: Bool, alone: Bool, leaseDuration: Duration,
        heartbeatInterval: Duration, now: ContinuousClock.Instant
    ) {
        self.name = name
        // A state file written before epochs were bounded may hold one past them: the units'
        // answers teach the CSM the real highest epoch again (each epoch goes to one CSM only).
        self.highestEpoch = WireLimits.usableEpochs.contains(highestEpoch) ? highestEpoch : 0
        self.alone = alone
        self.leaseDuration = leaseDuration
        self.heartbeatInterval = heartbeatInterval
        pausedUntil = preferred || alone ? now : now + leaseDuration
        self.members = members
        knownMembers = members
        membersChangedAt = members.isEmpty ? now : now - leaseDuration
    }

    /// A unit announced: it counts towards a majority from now on. Whether the set changed (to keep on disk).
    package mutating func registered(_ unit: UnitID) -> Bool { members.insert(unit).inserted }

    /// An operator removed a unit for good. Whether the set changed.
    package mutating func removed(_ unit: UnitID) -> Bool { members.remove(unit) != nil }

    /// The primary's list of registered units, heard by a backup. Whether the set changed.
    package mutating func adopt(members units: Set<UnitID>) -> Bool {
        guard units != members else { return false }
        members = units
        return true
    }

    /// The epoch to show and to command with.
    package var epoch: UInt64 { role == .primary ? ownEpoch : highestEpoch }

    /// Whether this CSM may answer opens and joins now: primary, with a majority's lease running.
    package func mayServe(now: ContinuousClock.Instant) -> Bool {
        role == .primary && hasMajority(now: now)
    }

    /// Whether `unit`'s lease for this CSM runs now.
    package func holdsLease(of unit: UnitID, now: ContinuousClock.Instant) -> Bool {
        leases[unit].map { now < $0 } ?? false
    }

    /// A majority of the registered units granted a lease that still runs. Every registered unit
    /// counts, reachable or not, new or old: two CSMs that count over different sets could both
    /// find a majority.
    private func hasMajority(now: ContinuousClock.Instant) -> Bool {
        if alone || members.isEmpty { return true }
        let held = members.count { leases[$0].map { now < $0 } ?? false }
        return held * 2 > members.count
    }

    /// Whether a campaign may end in promotion: there are units, and the set has not changed for
    /// a lease time. Units announce to both CSMs at once, so by then both count over the same
    /// set; a unit seen by one CSM alone must not let each find a majority of a different set.
    private mutating func membersSettled(now: ContinuousClock.Instant) -> Bool {
        if members != knownMembers {
            knownMembers = members
            membersChangedAt = now
        }
        return !members.isEmpty && now - membersChangedAt >= leaseDuration
    }

    /// Every heartbeat interval.
    package mutating func tick(now: ContinuousClock.Instant) -> [Action] {
        _ = membersSettled(now: now)
        requests = requests.filter { now - $0.value.sentAt < leaseDuration }
        switch role {
        case .primary:
            guard hasMajority(now: now) else {
                return stepDown(now: now, reason: "it holds the lease of fewer than a majority of the \(members.count) units")
            }
            return [ask(at: ownEpoch, now: now)]
        case .backup:
            return campaign(now: now)
        }
    }

    private mutating func campaign(now: ContinuousClock.Instant) -> [Action] {
        let peerAlive = peer.map { now - $0.heardAt <= heartbeatInterval * 2 } ?? false
        if peerAlive, peer?.role == .primary {
            campaigning = false
            noPrimarySince = nil
            return []
        }
        guard now >= pausedUntil else { return [] }
        let since = noPrimarySince ?? now
        noPrimarySince = since
        // A lower-named peer that is alive and has no primary either gets a lease time to take over first.
        guard !(peerAlive && peer!.name < name && now - since < leaseDuration) else { return [] }
        if campaigning, membersSettled(now: now), hasMajority(now: now) { return promote() }
        // Outbid: a unit is at this epoch or past it for another CSM. Holding nothing, start again
        // above it (holding some, it is a split, handled below).
        if campaigning, outbid || highestEpoch > ownEpoch, !leases.values.contains(where: { now < $0 }) { campaigning = false }
        if campaigning {
            // Holding some leases but no majority for a lease time: a split, which blocks the other
            // CSM too. Let these leases run out, the higher name a lease time longer. A campaign
            // that holds none blocks nobody and asks on (units may be starting), and one that
            // holds a majority waits for the set of units to settle.
            if !leases.values.contains(where: { now < $0 }) { holdingSince = nil }
            if let since = holdingSince, now - since > leaseDuration + heartbeatInterval, !hasMajority(now: now) {
                campaigning = false
                holdingSince = nil
                leases.removeAll()
                let higher = peer.map { $0.name < name } ?? false
                pausedUntil = now + leaseDuration * (higher ? 2 : 1) + heartbeatInterval
                return []
            }
        } else {
            // One above every epoch seen: one no unit granted is asked for again, which is safe
            // because a unit gives each epoch to one CSM only.
            campaigning = true
            outbid = false
            holdingSince = nil
            leases.removeAll()
            ownEpoch = highestEpoch + 1
            // Alone there is nobody to split with.
            if alone { return promote() }
        }
        return [ask(at: ownEpoch, now: now)]
    }

    /// The request a unit that just connected is sent at once: nil unless primary or campaigning.
    package mutating func askNow(now: ContinuousClock.Instant) -> Action? {
        role == .primary || campaigning ? ask(at: ownEpoch, now: now) : nil
    }

    private mutating func ask(at epoch: UInt64, now: ContinuousClock.Instant) -> Action {
        let id = nextRequest
        nextRequest += 1
        requests[id] = (now, epoch)
        return .requestLeases(id: id, epoch: epoch, duration: leaseDuration)
    }

    private mutating func promote() -> [Action] {
        role = .primary
        campaigning = false
        noPrimarySince = nil
        return saw(epoch: ownEpoch) + [.promoted(epoch: ownEpoch)]
    }

    private mutating func stepDown(now: ContinuousClock.Instant, reason: String) -> [Action] {
        role = .backup
        leases.removeAll()
        campaigning = false
        // Give whoever has the majority now a lease time before campaigning here again.
        pausedUntil = now + leaseDuration
        return [.demoted(epoch: highestEpoch, reason: reason)]
    }

    /// A unit's answer to request `id`: its epoch, and the lease it granted (nil: refused).
    package mutating func leaseAnswered(
        by unit: UnitID, id: UInt64, unitEpoch: UInt64, granted: Duration?, now: ContinuousClock.Instant
    ) -> [Action] {
        var actions = saw(epoch: unitEpoch)
        guard let request = requests[id], request.epoch == ownEpoch, role == .primary || campaigning else { return actions }
        guard let granted else {
            if campaigning, unitEpoch >= ownEpoch { outbid = true }
            return actions
        }
        leases[unit] = request.sentAt + granted
        if role == .backup, holdingSince == nil { holdingSince = now }
        if role == .backup, membersSettled(now: now), hasMajority(now: now) { actions += promote() }
        return actions
    }

    /// A unit announced or reported the highest epoch it has seen. Only raises what is
    /// remembered: whether this CSM is still obeyed is what its leases say.
    package mutating func unitSaw(epoch: UInt64) -> [Action] { saw(epoch: epoch) }

    /// An epoch heard of. One above `WireLimits.usableEpochs` (a forged heartbeat, a unit that
    /// lies) is ignored, never kept on disk: campaigns must always have a higher one to ask for.
    private mutating func saw(epoch seen: UInt64) -> [Action] {
        guard seen > highestEpoch, WireLimits.usableEpochs.contains(seen) else { return [] }
        highestEpoch = seen
        return [.remember(epoch: seen)]
    }

    /// The peer's heartbeat. A primary that hears a primary of a higher epoch (which can only have
    /// a majority once its own leases ran out), or of the same epoch and a lower name (possible
    /// only with no units at all), steps down.
    package mutating func peerHeartbeat(_ heartbeat: Heartbeat, now: ContinuousClock.Instant) -> [Action] {
        // An unusable epoch is a lie: a peer at it could never be primary.
        guard WireLimits.usableEpochs.contains(heartbeat.epoch) else { return [] }
        peer = (heartbeat.csm, heartbeat.role, now)
        var actions = saw(epoch: heartbeat.epoch)
        if role == .primary, heartbeat.role == .primary,
           heartbeat.epoch > ownEpoch || (heartbeat.epoch == ownEpoch && heartbeat.csm < name) {
            actions += stepDown(now: now, reason: "the peer \(heartbeat.csm) is primary at epoch \(heartbeat.epoch)")
        }
        return actions
    }
}
