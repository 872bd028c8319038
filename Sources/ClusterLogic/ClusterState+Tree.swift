import Wire

/// The shape of a channel's tree across units (issue: relay trees of bounded depth): how many
/// relay links a packet crosses to reach a group, and where a new cross-unit group hangs.
extension ClusterState {
    /// Relay links between the root and `location` (groups linked inside one unit add none);
    /// nil when its chain of parents does not reach the channel's root (a parent on a failed
    /// unit, not yet re-created).
    package func relayHops(of location: GroupLocation) -> Int? {
        guard let channel = group(at: location)?.channel, let root = channels[channel]?.root else { return nil }
        var hops = 0
        var current = location
        // Bounded: a report can claim any parent, even a cycle.
        for _ in 0..<4096 {
            if current == root { return hops }
            guard let parent = group(at: current)?.parent, group(at: parent) != nil else { return nil }
            if parent.unit != current.unit { hops += 1 }
            current = parent
        }
        return nil
    }

    /// The deepest chain of relay links in the channel's tree.
    package func deepestRelayChain(of channel: ChannelID) -> Int {
        groups(of: channel).compactMap { relayHops(of: $0.location) }.max() ?? 0
    }

    /// The group a new group on another unit should hang under: of the channel's groups that
    /// feed fewer than `relayFanOut` groups on other units, the one fewest relay hops from the
    /// root (then the lowest location, so placement is predictable). Filling the tree level by
    /// level keeps a channel across U units within ⌈log_k U⌉ hops.
    package func relayParent(for channel: ChannelID) -> GroupLocation? {
        let all = groups(of: channel)
        let crossUnitChildren = crossUnitChildren(of: all)
        var best: (hops: Int, location: GroupLocation)?
        for (location, _) in all where crossUnitChildren[location, default: 0] < settings.relayFanOut {
            guard let hops = relayHops(of: location) else { continue }
            if best.map({ (hops, location.unit, location.group) < ($0.hops, $0.location.unit, $0.location.group) }) ?? true {
                best = (hops, location)
            }
        }
        return best?.location
    }

    /// Whether `parent` can feed one more group on `unit` without going past the fan-out.
    package func canFeed(_ parent: GroupLocation, onto unit: UnitID, in channel: ChannelID) -> Bool {
        parent.unit == unit || crossUnitChildren(of: groups(of: channel))[parent, default: 0] < settings.relayFanOut
    }

    private func crossUnitChildren(of groups: [(location: GroupLocation, record: GroupRecord)]) -> [GroupLocation: Int] {
        var counts: [GroupLocation: Int] = [:]
        for (location, record) in groups {
            if let parent = record.parent, parent.unit != location.unit { counts[parent, default: 0] += 1 }
        }
        return counts
    }
}
