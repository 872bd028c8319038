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
        relayHops(of: groups(of: channel)).values.max() ?? 0
    }

    /// `relayHops(of:)` of every one of `groups` at once, each parent walked once: the groups
    /// whose chain does not reach the root are left out.
    package func relayHops(of groups: [(location: GroupLocation, record: GroupRecord)]) -> [GroupLocation: Int] {
        guard let channel = groups.first?.record.channel, let root = channels[channel]?.root else { return [:] }
        var hops: [GroupLocation: Int] = [:]
        var unreachable: Set<GroupLocation> = []
        if group(at: root) != nil { hops[root] = 0 }
        for (start, _) in groups where hops[start] == nil && !unreachable.contains(start) {
            // Up to a group already known (or a dead end, or a cycle), then back down.
            var path: [GroupLocation] = []
            var onPath: Set<GroupLocation> = []
            var current = start
            var known: Int?
            while true {
                if let value = hops[current] { known = value; break }
                if unreachable.contains(current) || onPath.contains(current) { break }
                guard let parent = group(at: current)?.parent, group(at: parent) != nil else { break }
                path.append(current)
                onPath.insert(current)
                current = parent
            }
            guard var value = known else {
                unreachable.formUnion(path)
                unreachable.insert(start)
                continue
            }
            var below = current
            for location in path.reversed() {
                if location.unit != below.unit { value += 1 }
                hops[location] = value
                below = location
            }
        }
        return hops
    }

    /// The group a new group on another unit should hang under: of the channel's groups that
    /// feed fewer than `relayFanOut` groups on other units, the one fewest relay hops from the
    /// root (then the lowest location, so placement is predictable). Filling the tree level by
    /// level keeps a channel across U units within ⌈log_k U⌉ hops.
    package func relayParent(for channel: ChannelID) -> GroupLocation? {
        let all = groups(of: channel)
        let hops = relayHops(of: all)
        let fanOut = crossUnitChildren(of: all)
        var best: (hops: Int, unit: UnitID, group: GroupID)?
        for (location, value) in hops where fanOut[location, default: 0] < settings.relayFanOut {
            let candidate = (value, location.unit, location.group)
            if best.map({ candidate < $0 }) ?? true { best = candidate }
        }
        return best.map { GroupLocation(unit: $0.unit, group: $0.group) }
    }

    package func crossUnitChildren(of groups: [(location: GroupLocation, record: GroupRecord)]) -> [GroupLocation: Int] {
        var counts: [GroupLocation: Int] = [:]
        for (location, record) in groups {
            if let parent = record.parent, parent.unit != location.unit { counts[parent, default: 0] += 1 }
        }
        return counts
    }
}

/// A channel's groups that can feed another unit, nearest the root first, with how many they
/// feed: what re-homing after a failure takes parents from, one after another, without walking
/// the tree again for each.
package struct RelayFrontier {
    private var candidates: [GroupLocation]
    private var cursor = 0
    package private(set) var fanOut: [GroupLocation: Int]

    package init(_ state: ClusterState, _ groups: [(location: GroupLocation, record: GroupRecord)]) {
        let hops = state.relayHops(of: groups)
        fanOut = state.crossUnitChildren(of: groups)
        candidates = hops.keys.sorted { (hops[$0]!, $0.unit, $0.group) < (hops[$1]!, $1.unit, $1.group) }
    }

    /// The nearest group with fan-out to spare.
    package mutating func next(fanOut limit: Int) -> GroupLocation? {
        while cursor < candidates.count, fanOut[candidates[cursor], default: 0] >= limit { cursor += 1 }
        return cursor < candidates.count ? candidates[cursor] : nil
    }

    package func canFeed(_ parent: GroupLocation, onto unit: UnitID, fanOut limit: Int) -> Bool {
        parent.unit == unit || fanOut[parent, default: 0] < limit
    }

    /// Notes that `parent` now feeds a group on `unit`.
    package mutating func feeds(_ parent: GroupLocation, onto unit: UnitID) {
        if parent.unit != unit { fanOut[parent, default: 0] += 1 }
    }
}
