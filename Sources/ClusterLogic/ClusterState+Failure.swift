import Wire

extension ClusterState {
    /// Paper fig. 8: a failed unit leaves the cluster; each of its groups is re-created on a live
    /// unit (parents before children, near the new parent when it has room) and the groups it fed
    /// are re-parented. Its clients re-join through the web server by themselves.
    package mutating func fail(_ id: UnitID, now: ContinuousClock.Instant, reason: String) {
        guard let failed = units.removeValue(forKey: id) else { return }
        log("unitFailed", unit: id, "unit \(id) left the cluster: \(reason)")
        var replacement: [GroupLocation: GroupLocation] = [:]
        for channel in Set(failed.groups.values.map(\.channel)).sorted() {
            treeLevels[channel] = nil
            // Where subtrees may hang, built only once one needs a parent on another unit.
            var frontier: TreeLevels?
            let lost = failed.groups.filter { $0.value.channel == channel }
                .map { (location: GroupLocation(unit: id, group: $0.key), parent: $0.value.parent) }
            // Parents first: a group's parent is re-created before it.
            var pending = lost.sorted { $0.location.group < $1.location.group }
            var progress = true
            while !pending.isEmpty && progress {
                progress = false
                for (index, group) in pending.enumerated().reversed() {
                    let parent = group.parent.map { replacement[$0] ?? $0 }
                    if let parent, parent.unit == id { continue }  // its parent is not re-created yet
                    pending.remove(at: index)
                    progress = true
                    guard let new = recreate(channel, near: parent, frontier: &frontier, now: now) else { continue }
                    replacement[group.location] = new
                    if group.parent == nil { channels[channel]?.root = new }
                }
            }
            guard channels[channel] != nil else { continue }
            if let root = channels[channel]?.root, root.unit == id {
                log("channelLost", channel: channel, "channel \(channel) lost its root group with unit \(id) and no unit has room")
                _ = close(channel)
                continue
            }
            // Groups on live units whose parent was on the failed unit get the replacement.
            refreshIndex(now: now)
            let k = settings.relayFanOut
            for (location, record) in groups(of: channel) {
                guard let parent = record.parent, parent.unit == id else { continue }
                // Without a replacement, or one that feeds all it may, the subtree moves up to the
                // group nearest the root with fan-out to spare: never down a chain.
                if frontier == nil { frontier = makeFrontier(channel, now: now) }
                let fit = replacement[parent].flatMap { frontier!.canFeed($0, onto: location.unit, fanOut: k) ? $0 : nil }
                let newParent = fit ?? nextRelayParent(in: &frontier!, channel: channel) ?? channels[channel]!.root
                frontier!.feeds(newParent, onto: location.unit)
                place(channel, at: location, parent: newParent, now: now)
                units[location.unit]?.groups[location.group]?.reportedViewers = record.reportedViewers
                log("groupReparented", unit: location.unit, channel: channel, group: location.group, "group \(location) now fed by \(newParent)")
            }
        }
    }

    /// The channel's tree levels as the tree is now, for re-homing: never kept, as the failure
    /// rearranges the tree.
    private mutating func makeFrontier(_ channel: ChannelID, now: ContinuousClock.Instant) -> TreeLevels {
        refreshIndex(now: now)
        return TreeLevels(self, groups(of: channel))
    }

    /// Places a replacement group: on the parent's unit when it has room, else the least loaded.
    private mutating func recreate(_ channel: ChannelID, near parent: GroupLocation?, frontier: inout TreeLevels?, now: ContinuousClock.Instant) -> GroupLocation? {
        refreshIndex(now: now)
        let near = parent.flatMap { index.unitsWithFreeGroups.contains($0.unit) ? $0.unit : nil }
        guard let id = near ?? index.unitsWithFreeGroups.min, let unit = units[id], let group = unit.firstFreeGroup else {
            log("recreateFailed", channel: channel, "no unit has a free group for channel \(channel)")
            return nil
        }
        let location = GroupLocation(unit: unit.id, group: group)
        // On another unit than its parent, and the parent feeds all it may: hang it higher up.
        var parent = parent
        if let wanted = parent, wanted.unit != unit.id {
            if frontier == nil { frontier = makeFrontier(channel, now: now) }
            if !frontier!.canFeed(wanted, onto: unit.id, fanOut: settings.relayFanOut) {
                parent = nextRelayParent(in: &frontier!, channel: channel) ?? wanted
            }
            frontier!.feeds(parent!, onto: unit.id)
        }
        place(channel, at: location, parent: parent, now: now)
        log("groupRecreated", unit: unit.id, channel: channel, group: group, "group re-created as \(location)" + (parent.map { " under \($0)" } ?? " (root)"))
        return location
    }
}
