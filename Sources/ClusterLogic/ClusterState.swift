import Wire

/// The CSM's view of the cluster (docs/ARCHITECTURE.md): units, channels and group trees,
/// placement, expansion, shrinking and unit failure. Pure: no sockets, no clock of its own;
/// every call says what time it is and queues the commands and log lines it decides on in
/// `actions`, which the service carries out. It can be rebuilt from unit reports alone.
package struct ClusterState: Sendable {
    package var settings: ClusterSettings
    package let signer: TicketSigner
    /// Wall-clock milliseconds, for tickets and the log.
    package let wallClock: @Sendable () -> UInt64

    package var units = UnitTable()
    /// Each channel's groups by relay hops, where new cross-unit groups find their parent; a
    /// channel without an entry has it built again when next asked.
    package var treeLevels: [ChannelID: TreeLevels] = [:]
    /// What placement asks, kept up to date from `units` (`refreshIndex` before each decision).
    package private(set) var index: PlacementIndex
    package var channels: [ChannelID: ChannelRecord] = [:]
    /// Channels closed lately: a unit report sent before its free-group command arrived, or a
    /// unit that let in a viewer whose ticket was taken while the channel was live, must not
    /// bring them back. Kept past the life of any client ticket.
    package var closedChannels: [ChannelID: ContinuousClock.Instant] = [:]
    package var closedChannelMemory: Duration { settings.ticketLifetime + .seconds(10) }
    package var nextChannel: UInt32 = 1
    /// The CSM has a view of its own (primary for a while, not just restarted): a report no longer
    /// adds a group to a channel it knows but never placed there. Until then reports are how it
    /// learns; a unit's own new channels it learns always.
    package var hasOwnView = false
    package var actions: [ClusterAction] = []

    /// `placement`: how units are weighed (the cluster's rule unless a test gives another).
    package init(
        settings: ClusterSettings, signer: TicketSigner, wallClock: @escaping @Sendable () -> UInt64,
        placement: any PlacementPolicy = LeastLoadedPlacement()
    ) {
        index = PlacementIndex(policy: placement)
        self.settings = settings
        self.signer = signer
        self.wallClock = wallClock
    }

    /// Brings the placement index up to `now`: only the units changed since, and those whose
    /// promised places lapsed.
    package mutating func refreshIndex(now: ContinuousClock.Instant) { index.refresh(&units, now: now) }

    /// A place promised at `location` (its group held `before` before): told to the index as a
    /// change of that one group.
    package mutating func notePromise(at location: GroupLocation, channel: ChannelID, before: Int, now: ContinuousClock.Instant) {
        index.promise(at: location, channel: channel, before: before, record: units[location.unit]!, now: now)
    }

    /// Stores a new group's record: told to the index as that one group when the unit is
    /// otherwise as the index last saw it and the place was free, else noted for a refresh.
    package mutating func storeGroup(_ record: GroupRecord, at location: GroupLocation) {
        let unit = location.unit
        guard units[unit]?.groups[location.group] == nil, !units.isChanged(unit), index.knows(unit) else {
            units[unit]?.groups[location.group] = record
            return
        }
        units.modifyUnnoted(unit) { $0.groups[location.group] = record }
        guard let after = units[unit] else { return }
        index.placed(at: location, channel: record.channel, parent: record.parent, record: after)
    }

    /// Stores a group's new parent: told to the index as that one link when the unit is
    /// otherwise as the index last saw it, else noted for a refresh.
    package mutating func storeParent(_ parent: GroupLocation, at location: GroupLocation) {
        let unit = location.unit
        guard let old = group(at: location) else { return }
        if !units.isChanged(unit), index.reparented(location, channel: old.channel, from: old.parent, to: parent) {
            units.modifyUnnoted(unit) { $0.groups[location.group]?.parent = parent }
        } else {
            units[unit]?.groups[location.group]?.parent = parent
        }
    }

    /// Frees a group's record: told to the index as that one group when the unit is otherwise
    /// as the index last saw it, else noted for a refresh.
    package mutating func removeGroup(at location: GroupLocation) {
        let unit = location.unit
        guard let record = units[unit], record.groups[location.group] != nil else { return }
        if !units.isChanged(unit), index.removed(at: location, record: record) {
            units.modifyUnnoted(unit) { $0.groups[location.group] = nil }
        } else {
            units[unit]?.groups[location.group] = nil
        }
    }

    /// Builds the index again from every unit (a check that the kept one agrees).
    package mutating func rebuildIndex(now: ContinuousClock.Instant) {
        index = PlacementIndex(policy: index.policy)
        units.markAllChanged()
        refreshIndex(now: now)
    }

    /// Takes the queued actions.
    package mutating func drainActions() -> [ClusterAction] {
        defer { actions.removeAll() }
        return actions
    }

    package mutating func log(_ kind: String, unit: UnitID? = nil, channel: ChannelID? = nil, group: GroupID? = nil, _ details: String) {
        actions.append(.log(ClusterLogEntry(unit: unit, timeMilliseconds: wallClock(), kind: kind, channel: channel, group: group, details: details)))
    }

    /// Units that take new work.
    package var activeUnits: some Sequence<UnitRecord> { units.values.lazy.filter(\.takesWork) }

    package func group(at location: GroupLocation) -> GroupRecord? {
        units[location.unit]?.groups[location.group]
    }

    /// Every group of a channel, wherever it is: from the index when no unit changed since it
    /// was refreshed (membership is then exact), else by looking at every unit.
    package func groups(of channel: ChannelID) -> [(location: GroupLocation, record: GroupRecord)] {
        if units.unchanged {
            let byUnit = index.places(of: channel)?.groups ?? [:]
            return byUnit.keys.sorted().flatMap { unit in
                byUnit[unit]!.compactMap { id in units[unit]?.groups[id].map { (GroupLocation(unit: unit, group: id), $0) } }
            }
        }
        return units.values.flatMap { unit in
            unit.groups.compactMap { id, record in
                record.channel == channel ? (GroupLocation(unit: unit.id, group: id), record) : nil
            }
        }.sorted { ($0.location.unit, $0.location.group) < ($1.location.unit, $1.location.group) }
    }

    /// Adds up something of every group of a channel, in no order and without copying the
    /// groups out: what every join asks several times, so it stays cheap with hundreds of groups.
    package func sum(over channel: ChannelID, _ value: (UnitRecord, GroupRecord) -> Int) -> Int {
        var total = 0
        for unit in units.values {
            for record in unit.groups.values where record.channel == channel {
                // Saturates: no report, however wrong, can make a count trap.
                let (sum, overflow) = total.addingReportingOverflow(value(unit, record))
                total = overflow ? .max : sum
            }
        }
        return total
    }

    package func viewers(of channel: ChannelID, at now: ContinuousClock.Instant) -> Int {
        if indexIsCurrent(at: now) { return index.places(of: channel)?.viewers ?? 0 }
        return sum(over: channel) { $1.occupancy(at: now) }
    }

    /// Whether the index answers for `now` exactly: no unit changed and no promise lapsed since.
    package func indexIsCurrent(at now: ContinuousClock.Instant) -> Bool { units.unchanged && !index.hasLapses(by: now) }

    /// The tree as parent links (paper fig. 5): child to parent.
    package func tree(of channel: ChannelID) -> [GroupLocation: GroupLocation?] {
        Dictionary(uniqueKeysWithValues: groups(of: channel).map { ($0.location, $0.record.parent) })
    }

    package func ticket(_ role: TicketRole, channel: ChannelID, at location: GroupLocation, lifetime: Duration, nonce: UInt64 = .random(in: .min ... .max)) -> String {
        let milliseconds = lifetime.wholeMilliseconds
        return signer.sign(Ticket(
            channel: channel, group: location.group, role: role, unit: location.unit, expiresAtMilliseconds: wallClock() + milliseconds, nonce: nonce))
    }

    /// The secret that lets a channel's broadcaster close or resume it: derived with the cluster
    /// key from the channel's number and the nonce made at its open, so any CSM that has the
    /// root unit's reports (a backup, a restarted one) can check it, and no earlier channel's does.
    package func secret(of channel: ChannelID) -> String {
        signer.derivedSecret("channel \(channel) \(channels[channel]?.secretNonce ?? 0)")
    }

    package func checkSecret(_ secret: String, of channel: ChannelID) -> Bool {
        guard let nonce = channels[channel]?.secretNonce, nonce != 0 else { return false }
        return signer.checkDerivedSecret(secret, "channel \(channel) \(nonce)")
    }
}
