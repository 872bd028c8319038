import Wire

/// What placement asks on every join, kept up to date instead of scanned for: the units that
/// take work ordered by load (those with a free group, and per channel those with an open
/// group), each channel's open groups per unit, and its viewer, free-place and broadcaster
/// counts. It is refreshed from the units that changed since the last decision (`UnitStore`
/// notes them) and the places promised to viewers that lapsed since, so a decision costs
/// O(log units), not a scan of every group of every unit.
package struct PlacementIndex: Sendable {
    private struct Contribution: Sendable {
        var viewers = 0
        var freePlaces = 0
        var broadcasters = 0
        var emptyGroups: [GroupLocation] = []
        var parents: [GroupLocation] = []
    }

    /// Units that take work and have a free group: where channels open and grow to.
    package private(set) var unitsWithFreeGroups = IndexedHeap<UnitID, LoadKey>()
    package private(set) var channels: [ChannelID: ChannelPlaces] = [:]
    /// How units are weighed.
    package let policy: any PlacementPolicy
    /// What each unit's load is counted from (its viewers as last counted, its traffic).
    private var unitCounts: [UnitID: (viewers: Int, bytesPerSecond: UInt64)] = [:]
    /// What each unit added to the channels' counts, taken away again when it changes.
    private var contributions: [UnitID: [ChannelID: Contribution]] = [:]
    /// Promised places in the order they lapse (the grace is the same for all), and the unit.
    private var lapses: [(at: ContinuousClock.Instant, location: GroupLocation, channel: ChannelID)] = []
    /// Each group's occupancy as last counted.
    private var occupancies: [GroupLocation: Int] = [:]
    private var lapsesStart = 0

    package init(policy: any PlacementPolicy = LeastLoadedPlacement()) {
        self.policy = policy
    }

    package func places(of channel: ChannelID) -> ChannelPlaces? { channels[channel] }

    /// A unit's place among the units, by the policy's load.
    private func key(of unit: UnitID) -> LoadKey {
        let counts = unitCounts[unit] ?? (0, 0)
        return LoadKey(load: policy.load(viewers: counts.viewers, bytesPerSecond: counts.bytesPerSecond), unit: unit)
    }

    /// Whether a promised place lapses by `now` that the index still counts.
    package func hasLapses(by now: ContinuousClock.Instant) -> Bool { lapsesStart < lapses.count && lapses[lapsesStart].at <= now }

    /// One more place promised in `location`'s group: applied where it stands (`occupancy`)
    /// instead of refreshing the whole unit; it lapses the same way. The index must be current
    /// and `record` the unit after the promise.
    package mutating func promise(at location: GroupLocation, channel: ChannelID, before: Int, record: UnitRecord, now: ContinuousClock.Instant) {
        lapses.append((now + GroupRecord.joinGrace, location, channel))
        occupancy(of: location, channel: channel, from: before, to: before + 1, record: record)
    }

    /// A group's occupancy went from `old` to `new`: its channel's counts, whether it is empty or
    /// open, and its unit's load (in every heap the unit is in) follow.
    private mutating func occupancy(of location: GroupLocation, channel: ChannelID, from old: Int, to new: Int, record: UnitRecord) {
        let unit = location.unit
        guard old != new, contributions[unit]?[channel] != nil, channels[channel] != nil,
            let group = record.groups[location.group] else { return }
        occupancies[location] = new
        let free = { (occupancy: Int) in record.draining ? 0 : max(0, record.capacity - occupancy) }
        contributions[unit]![channel]!.viewers += new - old
        contributions[unit]![channel]!.freePlaces += free(new) - free(old)
        channels[channel]!.viewers += new - old
        channels[channel]!.freePlaces += free(new) - free(old)
        let empty = { (occupancy: Int) in occupancy == 0 && !group.broadcasterHere }
        if empty(old) && !empty(new), let index = contributions[unit]![channel]!.emptyGroups.firstIndex(of: location) {
            contributions[unit]![channel]!.emptyGroups.remove(at: index)
            channels[channel]!.emptyGroups.remove(location)
        } else if !empty(old) && empty(new) {
            contributions[unit]![channel]!.emptyGroups.append(location)
            channels[channel]!.emptyGroups.insert(location)
        }
        unitCounts[unit, default: (0, record.load.bytesPerSecond)].viewers += new - old
        let key = key(of: unit)
        let open = { (occupancy: Int) in record.takesWork && occupancy < record.capacity }
        if open(old) && !open(new), let index = channels[channel]!.openGroups[unit]?.firstIndex(of: location.group) {
            channels[channel]!.openGroups[unit]!.remove(at: index)
            if channels[channel]!.openGroups[unit]!.isEmpty {
                channels[channel]!.openGroups[unit] = nil
                channels[channel]!.openUnits.remove(unit)
            }
        } else if !open(old) && open(new) {
            var groups = channels[channel]!.openGroups[unit] ?? []
            groups.insert(location.group, at: groups.firstIndex { $0 > location.group } ?? groups.count)
            channels[channel]!.openGroups[unit] = groups
            channels[channel]!.openUnits.set(unit, key: key)
        }
        // Its place among the units, in every channel it serves.
        if unitsWithFreeGroups.contains(unit) { unitsWithFreeGroups.set(unit, key: key) }
        for other in contributions[unit]!.keys where channels[other]?.openUnits.contains(unit) == true {
            channels[other]!.openUnits.set(unit, key: key)
        }
    }

    /// Whether `unit` is counted in the index (a group placed on it can be added where it stands).
    package func knows(_ unit: UnitID) -> Bool { contributions[unit] != nil }

    /// A new, empty group placed at `location` (the unit was current and `record` is it after the
    /// placement): added to its channel's groups, empty and open groups and free places, and to
    /// who feeds whom, instead of refreshing the whole unit.
    package mutating func placed(at location: GroupLocation, channel: ChannelID, parent: GroupLocation?, record: UnitRecord) {
        let unit = location.unit
        occupancies[location] = 0
        let free = record.draining ? 0 : record.capacity
        var contribution = contributions[unit]![channel] ?? Contribution()
        contribution.freePlaces += free
        contribution.emptyGroups.append(location)
        if let parent { contribution.parents.append(parent) }
        contributions[unit]![channel] = contribution
        // Moved out and back, so the heap inside is changed in place, never copied.
        var places = channels.removeValue(forKey: channel) ?? ChannelPlaces()
        places.freePlaces += free
        places.emptyGroups.insert(location)
        if let parent { places.children[parent, default: 0] += 1 }
        var groups = places.groups[unit] ?? []
        groups.insert(location.group, at: groups.firstIndex { $0 > location.group } ?? groups.count)
        places.groups[unit] = groups
        if record.takesWork && record.capacity > 0 {
            var open = places.openGroups[unit] ?? []
            open.insert(location.group, at: open.firstIndex { $0 > location.group } ?? open.count)
            places.openGroups[unit] = open
            places.openUnits.set(unit, key: key(of: unit))
        }
        channels[channel] = places
        if record.freeGroupCount == 0 { unitsWithFreeGroups.remove(unit) }
    }

    /// The group at `location` now fed by `new` instead of `old`, nothing else changed: who
    /// feeds whom follows. False when the index does not count the group (refresh its unit).
    package mutating func reparented(_ location: GroupLocation, channel: ChannelID, from old: GroupLocation?, to new: GroupLocation) -> Bool {
        let unit = location.unit
        guard var contribution = contributions[unit]?[channel], channels[channel] != nil else { return false }
        if let old {
            guard let index = contribution.parents.firstIndex(of: old) else { return false }
            contribution.parents.remove(at: index)
            channels[channel]!.children[old, default: 0] -= 1
            if channels[channel]!.children[old]! <= 0 { channels[channel]!.children[old] = nil }
        }
        contribution.parents.append(new)
        channels[channel]!.children[new, default: 0] += 1
        contributions[unit]![channel] = contribution
        return true
    }

    /// The group at `location` freed (`record` is its unit still holding it): emptied first, so
    /// the unit's load and its place among the units follow, then taken out of its channel's
    /// counts and lists, instead of refreshing the whole unit. False when the index does not
    /// count the group (refresh its unit).
    package mutating func removed(at location: GroupLocation, record: UnitRecord) -> Bool {
        let unit = location.unit
        guard let group = record.groups[location.group], let old = occupancies[location],
            contributions[unit]?[group.channel] != nil, channels[group.channel] != nil
        else { return false }
        let channel = group.channel
        occupancy(of: location, channel: channel, from: old, to: 0, record: record)
        var contribution = contributions[unit]![channel]!
        var places = channels.removeValue(forKey: channel)!
        let free = record.draining ? 0 : record.capacity
        contribution.freePlaces -= free
        places.freePlaces -= free
        if group.broadcasterHere {
            contribution.broadcasters -= 1
            places.broadcasters -= 1
        }
        if let index = contribution.emptyGroups.firstIndex(of: location) { contribution.emptyGroups.remove(at: index) }
        places.emptyGroups.remove(location)
        if let parent = group.parent, let index = contribution.parents.firstIndex(of: parent) {
            contribution.parents.remove(at: index)
            places.children[parent, default: 0] -= 1
            if places.children[parent]! <= 0 { places.children[parent] = nil }
        }
        places.groups[unit]?.removeAll { $0 == location.group }
        if places.groups[unit]?.isEmpty == true { places.groups[unit] = nil }
        places.openGroups[unit]?.removeAll { $0 == location.group }
        if places.openGroups[unit]?.isEmpty != false {
            places.openGroups[unit] = nil
            places.openUnits.remove(unit)
        }
        occupancies[location] = nil
        contributions[unit]![channel] = places.groups[unit] == nil ? nil : contribution
        if !places.groups.isEmpty { channels[channel] = places }
        // The unit has a free group now.
        if record.takesWork && record.freeGroupCount + 1 > 0 { unitsWithFreeGroups.set(unit, key: key(of: unit)) }
        return true
    }

    /// Brings the index up to `now`: the units changed since are looked at whole; a promised
    /// place that lapsed changes only its group.
    package mutating func refresh(_ table: inout UnitTable, now: ContinuousClock.Instant) {
        let changed = table.takeChanged()
        while lapsesStart < lapses.count, lapses[lapsesStart].at <= now {
            let (_, location, channel) = lapses[lapsesStart]
            lapsesStart += 1
            guard !changed.contains(location.unit), let record = table[location.unit], let group = record.groups[location.group],
                group.channel == channel, let old = occupancies[location]
            else { continue }
            occupancy(of: location, channel: channel, from: old, to: group.occupancy(at: now), record: record)
        }
        if lapsesStart > 1024, lapsesStart * 2 > lapses.count {
            lapses.removeFirst(lapsesStart)
            lapsesStart = 0
        }
        for unit in changed { refresh(unit, table[unit], now: now) }
    }

    private mutating func refresh(_ unit: UnitID, _ record: UnitRecord?, now: ContinuousClock.Instant) {
        for (channel, old) in contributions.removeValue(forKey: unit) ?? [:] {
            channels[channel]!.viewers -= old.viewers
            channels[channel]!.freePlaces -= old.freePlaces
            channels[channel]!.broadcasters -= old.broadcasters
            channels[channel]!.emptyGroups.subtract(old.emptyGroups)
            for parent in old.parents {
                channels[channel]!.children[parent, default: 0] -= 1
                if channels[channel]!.children[parent] == 0 { channels[channel]!.children[parent] = nil }
            }
            channels[channel]!.openUnits.remove(unit)
            channels[channel]!.openGroups[unit] = nil
            for group in channels[channel]!.groups[unit] ?? [] { occupancies[GroupLocation(unit: unit, group: group)] = nil }
            channels[channel]!.groups[unit] = nil
            if channels[channel]!.groups.isEmpty { channels[channel] = nil }
        }
        unitsWithFreeGroups.remove(unit)
        unitCounts[unit] = nil
        guard let record else { return }
        var added: [ChannelID: Contribution] = [:]
        var groups: [ChannelID: [GroupID]] = [:]
        var open: [ChannelID: [GroupID]] = [:]
        for (id, group) in record.groups {
            let occupancy = group.occupancy(at: now)
            occupancies[GroupLocation(unit: unit, group: id)] = occupancy
            var contribution = added[group.channel, default: Contribution()]
            contribution.viewers += occupancy
            contribution.freePlaces += record.draining ? 0 : max(0, record.capacity - occupancy)
            if group.broadcasterHere { contribution.broadcasters += 1 }
            if occupancy == 0 && !group.broadcasterHere { contribution.emptyGroups.append(GroupLocation(unit: unit, group: id)) }
            if let parent = group.parent { contribution.parents.append(parent) }
            added[group.channel] = contribution
            groups[group.channel, default: []].append(id)
            if record.takesWork && occupancy < record.capacity { open[group.channel, default: []].append(id) }
        }
        // The policy's load, from the occupancies just counted.
        unitCounts[unit] = (added.values.reduce(0) { $0 + $1.viewers }, record.load.bytesPerSecond)
        let key = key(of: unit)
        if record.takesWork && record.freeGroupCount > 0 { unitsWithFreeGroups.set(unit, key: key) }
        for (channel, contribution) in added {
            // Moved out and back, so the heap inside is changed in place, never copied.
            var places = channels.removeValue(forKey: channel) ?? ChannelPlaces()
            places.viewers += contribution.viewers
            places.freePlaces += contribution.freePlaces
            places.broadcasters += contribution.broadcasters
            places.emptyGroups.formUnion(contribution.emptyGroups)
            for parent in contribution.parents { places.children[parent, default: 0] += 1 }
            places.groups[unit] = groups[channel]!.sorted()
            if let open = open[channel] {
                places.openGroups[unit] = open.sorted()
                places.openUnits.set(unit, key: key)
            }
            channels[channel] = places
        }
        contributions[unit] = added
    }
}
