import Wire

extension ClusterState {
    /// Paper fig. 8: a failed unit leaves the cluster; each of its groups is re-created on a live
    /// unit (parents before children, near the new parent when it has room) and the groups it fed
    /// are re-parented. Its clients re-join through the web server by themselves. The work is
    /// what the failure touched: the channel's kept tree levels say which groups it orphans.
    package mutating func fail(_ id: UnitID, now: ContinuousClock.Instant, reason: String) {
        guard let failed = units.removeValue(forKey: id) else { return }
        log("unitFailed", unit: id, "unit \(id) left the cluster: \(reason)")
        var replacement: [GroupLocation: GroupLocation] = [:]
        for channel in Set(failed.groups.values.map(\.channel)).sorted() {
            let lost = failed.groups.filter { $0.value.channel == channel }
                .map { (location: GroupLocation(unit: id, group: $0.key), parent: $0.value.parent) }
                .sorted { $0.location.group < $1.location.group }
            // Where subtrees may hang: the kept levels, else built once a group needs a parent
            // on another unit (or groups on live units need a new one).
            var levels = treeLevels.removeValue(forKey: channel)
            let orphaned = units.placement(at: now).places(of: channel).map { places in
                lost.contains { (places.children[$0.location] ?? 0) > 0 }
            } ?? false
            if levels == nil && orphaned { levels = makeLevels(channel, now: now) }
            var orphans: [GroupLocation] = []
            for group in lost { orphans += levels?.lost(group.location, under: group.parent).filter { $0.unit != id } ?? [] }
            var levelsHold = true
            // Parents first: a group's parent is re-created before it.
            var pending = lost
            var progress = true
            while !pending.isEmpty && progress {
                progress = false
                for (index, group) in pending.enumerated().reversed() {
                    let parent = group.parent.map { replacement[$0] ?? $0 }
                    if let parent, parent.unit == id { continue }  // its parent is not re-created yet
                    pending.remove(at: index)
                    progress = true
                    guard let new = recreate(channel, near: parent, levels: &levels, lost: lost, levelsHold: &levelsHold, now: now) else { continue }
                    replacement[group.location] = new
                    if group.parent == nil { channels[channel]?.root = new }
                }
            }
            guard channels[channel] != nil else { continue }
            if let root = channels[channel]?.root, root.unit == id {
                log("channelLost", channel: channel, "channel \(channel) lost its root group with unit \(id) and no unit has room")
                _ = close(channel, now: now)
                continue
            }
            // Groups on live units whose parent was on the failed unit get the replacement.
            let k = settings.relayFanOut
            for location in orphans.sorted(by: { ($0.unit, $0.group) < ($1.unit, $1.group) }) {
                guard let parent = group(at: location)?.parent, parent.unit == id, levels != nil else { continue }
                // Without a replacement, or one that feeds all it may, the subtree moves up to the
                // group nearest the root with fan-out to spare: never down a chain.
                let fit = replacement[parent].flatMap { levels!.canFeed($0, onto: location.unit, fanOut: k) ? $0 : nil }
                let newParent = fit ?? nextRelayParent(in: &levels!, channel: channel) ?? channels[channel]!.root
                if !levels!.moved(location, under: newParent, from: parent) { levelsHold = false }
                reparent(channel, at: location, parent: newParent)
                log("groupReparented", unit: location.unit, channel: channel, group: location.group, "group \(location) now fed by \(newParent)")
            }
            if levelsHold, let levels { treeLevels[channel] = levels }
        }
    }

    /// The channel's tree levels as the live units hold it now.
    private mutating func makeLevels(_ channel: ChannelID, now: ContinuousClock.Instant) -> TreeLevels {
        TreeLevels(self, units.groups(of: channel, now: now))
    }

    /// Places a replacement group: on the parent's unit when it has room, else the least loaded.
    private mutating func recreate(
        _ channel: ChannelID, near parent: GroupLocation?, levels: inout TreeLevels?, lost: [(location: GroupLocation, parent: GroupLocation?)],
        levelsHold: inout Bool, now: ContinuousClock.Instant
    ) -> GroupLocation? {
        let free = units.placement(at: now).unitsWithFreeGroups
        let near = parent.flatMap { free.contains($0.unit) ? $0.unit : nil }
        guard let id = near ?? free.min, let unit = units[id], let group = unit.firstFreeGroup else {
            log("recreateFailed", channel: channel, "no unit has a free group for channel \(channel)")
            return nil
        }
        let location = GroupLocation(unit: unit.id, group: group)
        // On another unit than its parent, and the parent feeds all it may: hang it higher up.
        var parent = parent
        if let wanted = parent, wanted.unit != unit.id {
            if levels == nil {
                levels = makeLevels(channel, now: now)
                for group in lost { _ = levels!.lost(group.location, under: group.parent) }
            }
            if !levels!.canFeed(wanted, onto: unit.id, fanOut: settings.relayFanOut) {
                parent = nextRelayParent(in: &levels!, channel: channel) ?? wanted
            }
        }
        if levels?.placed(location, under: parent) == false { levelsHold = false }
        place(channel, at: location, parent: parent, now: now)
        log("groupRecreated", unit: unit.id, channel: channel, group: group, "group re-created as \(location)" + (parent.map { " under \($0)" } ?? " (root)"))
        return location
    }
}
