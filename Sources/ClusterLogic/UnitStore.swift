import Wire

/// The CSM's unit records and the placement index over them, in one owner (docs/ARCHITECTURE.md).
/// Every change of a unit goes through here and reaches the index: told as that one change where
/// it can be (a group placed, re-parented or freed, a place promised), else noted so the index
/// looks at the unit again before it next answers. The index is read only through
/// `placement(at:)`, which brings it up to date first, and the reads below answer from it only
/// when it is exact: no caller chooses a path or refreshes by hand.
package struct UnitStore: Sendable {
    private var table = UnitTable()
    private var index: PlacementIndex

    package init(policy: any PlacementPolicy) {
        index = PlacementIndex(policy: policy)
    }

    package var policy: any PlacementPolicy { index.policy }

    /// A unit's record; a change through it is noted for the index.
    package subscript(id: UnitID) -> UnitRecord? {
        get { table[id] }
        _modify { yield &table[id] }
        set { table[id] = newValue }
    }

    package var values: Dictionary<UnitID, UnitRecord>.Values { table.values }
    package var keys: Dictionary<UnitID, UnitRecord>.Keys { table.keys }
    package var count: Int { table.count }
    package var isEmpty: Bool { table.isEmpty }

    @discardableResult
    package mutating func removeValue(forKey id: UnitID) -> UnitRecord? { table.removeValue(forKey: id) }

    /// The index as of `now`: first the units changed since it last looked, and the promised
    /// places that lapsed.
    package mutating func placement(at now: ContinuousClock.Instant) -> PlacementIndex {
        index.refresh(&table, now: now)
        return index
    }

    /// Builds the index again from every unit (a check that the kept one agrees).
    package mutating func rebuildPlacement(now: ContinuousClock.Instant) {
        index = PlacementIndex(policy: index.policy)
        table.markAllChanged()
        index.refresh(&table, now: now)
    }

    /// Whether the index answers for `now` exactly: no unit changed and no promise lapsed since.
    package func placementIsCurrent(at now: ContinuousClock.Instant) -> Bool { table.unchanged && !index.hasLapses(by: now) }

    // MARK: Changes of one group, told to the index as such when it has the unit as it is.

    /// A viewer's place promised at `location` (its ticket's `nonce`): counted until its unit
    /// reports the viewer there, or the promise lapses.
    package mutating func promise(_ nonce: UInt64, at location: GroupLocation, channel: ChannelID, now: ContinuousClock.Instant) {
        let unit = location.unit
        guard let before = table[unit]?.groups[location.group]?.occupancy(at: now) else { return }
        let change = { (record: inout UnitRecord) in
            record.groups[location.group]!.pendingJoins.append(GroupRecord.PendingJoin(nonce: nonce, issued: now))
            record.groups[location.group]!.emptySince = nil
        }
        guard !table.isChanged(unit), index.knows(unit) else { return change(&table[unit]!) }
        table.modifyUnnoted(unit, change)
        index.promise(at: location, channel: channel, before: before, record: table[unit]!, now: now)
    }

    /// Stores a new group's record.
    package mutating func storeGroup(_ record: GroupRecord, at location: GroupLocation) {
        let unit = location.unit
        guard table[unit]?.groups[location.group] == nil, !table.isChanged(unit), index.knows(unit) else {
            table[unit]?.groups[location.group] = record
            return
        }
        table.modifyUnnoted(unit) { $0.groups[location.group] = record }
        guard let after = table[unit] else { return }
        index.placed(at: location, channel: record.channel, parent: record.parent, record: after)
    }

    /// Stores a group's new parent.
    package mutating func storeParent(_ parent: GroupLocation, at location: GroupLocation) {
        let unit = location.unit
        guard let old = group(at: location) else { return }
        if !table.isChanged(unit), index.reparented(location, channel: old.channel, from: old.parent, to: parent) {
            table.modifyUnnoted(unit) { $0.groups[location.group]?.parent = parent }
        } else {
            table[unit]?.groups[location.group]?.parent = parent
        }
    }

    /// Frees a group's record.
    package mutating func removeGroup(at location: GroupLocation) {
        let unit = location.unit
        guard let record = table[unit], record.groups[location.group] != nil else { return }
        if !table.isChanged(unit), index.removed(at: location, record: record) {
            table.modifyUnnoted(unit) { $0.groups[location.group] = nil }
        } else {
            table[unit]?.groups[location.group] = nil
        }
    }

    // MARK: Reads

    package func group(at location: GroupLocation) -> GroupRecord? {
        table[location.unit]?.groups[location.group]
    }

    /// Every group of a channel, wherever it is: from the index when no unit changed since it
    /// last looked (membership is then exact), else by looking at every unit.
    package func groups(of channel: ChannelID) -> [(location: GroupLocation, record: GroupRecord)] {
        if table.unchanged {
            let byUnit = index.places(of: channel)?.groups ?? [:]
            return byUnit.keys.sorted().flatMap { unit in
                byUnit[unit]!.compactMap { id in table[unit]?.groups[id].map { (GroupLocation(unit: unit, group: id), $0) } }
            }
        }
        return table.values.flatMap { unit in
            unit.groups.compactMap { id, record in
                record.channel == channel ? (GroupLocation(unit: unit.id, group: id), record) : nil
            }
        }.sorted { ($0.location.unit, $0.location.group) < ($1.location.unit, $1.location.group) }
    }

    /// `groups(of:)` with the index brought up to `now` first, so it answers from the index.
    package mutating func groups(of channel: ChannelID, now: ContinuousClock.Instant) -> [(location: GroupLocation, record: GroupRecord)] {
        index.refresh(&table, now: now)
        return groups(of: channel)
    }

    /// Adds up something of every group of a channel, in no order and without copying the
    /// groups out: what every join asks several times, so it stays cheap with hundreds of groups.
    package func sum(over channel: ChannelID, _ value: (UnitRecord, GroupRecord) -> Int) -> Int {
        var total = 0
        for unit in table.values {
            for record in unit.groups.values where record.channel == channel {
                // Saturates: no report, however wrong, can make a count trap.
                let (sum, overflow) = total.addingReportingOverflow(value(unit, record))
                total = overflow ? .max : sum
            }
        }
        return total
    }

    package func viewers(of channel: ChannelID, at now: ContinuousClock.Instant) -> Int {
        if placementIsCurrent(at: now) { return index.places(of: channel)?.viewers ?? 0 }
        return sum(over: channel) { $1.occupancy(at: now) }
    }

    package func freePlaces(of channel: ChannelID, at now: ContinuousClock.Instant) -> Int {
        if placementIsCurrent(at: now) { return index.places(of: channel)?.freePlaces ?? 0 }
        return sum(over: channel) { unit, record in unit.draining ? 0 : max(0, unit.capacity - record.occupancy(at: now)) }
    }
}
