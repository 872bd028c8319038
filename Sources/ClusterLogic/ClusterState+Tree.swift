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
    /// feed fewer than `relayFanOut` groups on other units, one fewest relay hops from the root
    /// (the first placed of those). Filling the tree level by level keeps a channel across U
    /// units within ⌈log_k U⌉ hops. The levels are kept (`TreeLevels`); built here when missing.
    package mutating func relayParent(for channel: ChannelID) -> GroupLocation? {
        var levels = treeLevels.removeValue(forKey: channel) ?? TreeLevels(self, groups(of: channel))
        defer { treeLevels[channel] = levels }
        return nextRelayParent(in: &levels, channel: channel)
    }

    /// The next group of `levels` with fan-out to spare that is still the channel's.
    func nextRelayParent(in levels: inout TreeLevels, channel: ChannelID) -> GroupLocation? {
        levels.next(fanOut: settings.relayFanOut) { group(at: $0)?.channel == channel }
    }

    package func crossUnitChildren(of groups: [(location: GroupLocation, record: GroupRecord)]) -> [GroupLocation: Int] {
        var counts: [GroupLocation: Int] = [:]
        for (location, record) in groups {
            if let parent = record.parent, parent.unit != location.unit { counts[parent, default: 0] += 1 }
        }
        return counts
    }
}

/// A channel's groups level by level (relay hops from the root), kept as groups are placed, so
/// the next cross-unit group finds its parent in amortized constant time instead of a walk of
/// the whole tree: a cursor per level moves past groups whose fan-out is full or that are gone.
/// A unit's failure changes it where the tree changed (`lost`, `moved`); it is dropped (and
/// built again on demand) when a bypass or a report rearranges the tree.
package struct TreeLevels: Sendable {
    package private(set) var hops: [GroupLocation: Int] = [:]
    package private(set) var fanOut: [GroupLocation: Int] = [:]
    /// Each group's children, on its own unit and on others: what a moved subtree takes along.
    /// Kept for groups cut off from the root too, so a failure finds every group it orphans.
    private var children: [GroupLocation: [GroupLocation]] = [:]
    private var levels: [[GroupLocation]] = []
    private var cursors: [Int] = []

    package init() {}

    /// The tree as `state` holds it now.
    package init(_ state: ClusterState, _ groups: [(location: GroupLocation, record: GroupRecord)]) {
        hops = state.relayHops(of: groups)
        fanOut = state.crossUnitChildren(of: groups)
        for (location, record) in groups {
            if let parent = record.parent { children[parent, default: []].append(location) }
        }
        let ordered = hops.map { (hops: $0.value, unit: $0.key.unit, group: $0.key.group) }.sorted { ($0.hops, $0.unit, $0.group) < ($1.hops, $1.unit, $1.group) }
        for entry in ordered { append(GroupLocation(unit: entry.unit, group: entry.group), level: entry.hops) }
    }

    /// A group placed under `parent` (nil for a root). False when the parent is not known here:
    /// the levels must be built again.
    package mutating func placed(_ location: GroupLocation, under parent: GroupLocation?) -> Bool {
        guard let parent else {
            hops[location] = 0
            append(location, level: 0)
            return true
        }
        guard let above = hops[parent] else { return false }
        let crosses = parent.unit != location.unit
        if crosses { fanOut[parent, default: 0] += 1 }
        children[parent, default: []].append(location)
        hops[location] = above + (crosses ? 1 : 0)
        append(location, level: above + (crosses ? 1 : 0))
        return true
    }

    /// Whether `parent` can feed one more group on `unit` without going past `limit`.
    package func canFeed(_ parent: GroupLocation, onto unit: UnitID, fanOut limit: Int) -> Bool {
        parent.unit == unit || fanOut[parent, default: 0] < limit
    }

    /// A leaf freed: its parent feeds one fewer.
    package mutating func freed(_ location: GroupLocation, under parent: GroupLocation?) {
        _ = lost(location, under: parent)
    }

    /// A group gone (freed, or on a failed unit): its parent feeds one fewer and is offered
    /// again; its children, returned, are left without a parent until they are `moved`.
    package mutating func lost(_ location: GroupLocation, under parent: GroupLocation?) -> [GroupLocation] {
        // Levels built after the group was gone never counted it in its parent's fan-out.
        let counted = hops.removeValue(forKey: location) != nil
        fanOut[location] = nil
        let orphans = children.removeValue(forKey: location) ?? []
        guard let parent else { return orphans }
        if let index = children[parent]?.firstIndex(of: location) { children[parent]!.remove(at: index) }
        guard counted, parent.unit != location.unit, let count = fanOut[parent] else { return orphans }
        fanOut[parent] = max(0, count - 1)
        // Its level's cursor may have passed it: it has room again, so it is offered again.
        if let level = hops[parent] { append(parent, level: level) }
        return orphans
    }

    /// A group (with its subtree) now fed by `parent`. The subtree's hops follow, walked only
    /// where they change. False when the parent is not known here.
    package mutating func moved(_ location: GroupLocation, under parent: GroupLocation, from old: GroupLocation?) -> Bool {
        guard let above = hops[parent] else { return false }
        if let old, let index = children[old]?.firstIndex(of: location) {
            children[old]!.remove(at: index)
            if old.unit != location.unit, let count = fanOut[old] { fanOut[old] = max(0, count - 1) }
        }
        children[parent, default: []].append(location)
        if parent.unit != location.unit { fanOut[parent, default: 0] += 1 }
        var pending = [(location, above + (parent.unit != location.unit ? 1 : 0))]
        var seen: Set<GroupLocation> = []  // a report can claim any parent, even a cycle
        while let (current, level) = pending.popLast() {
            guard hops[current] != level, seen.insert(current).inserted else { continue }
            hops[current] = level
            append(current, level: level)
            for child in children[current] ?? [] { pending.append((child, level + (child.unit != current.unit ? 1 : 0))) }
        }
        return true
    }

    /// The group nearest the root that feeds fewer than `limit` groups on other units and
    /// `isLive` still holds.
    package mutating func next(fanOut limit: Int, isLive: (GroupLocation) -> Bool) -> GroupLocation? {
        for level in levels.indices {
            while cursors[level] < levels[level].count {
                let location = levels[level][cursors[level]]
                if hops[location] == level, fanOut[location, default: 0] < limit, isLive(location) { return location }
                cursors[level] += 1
            }
        }
        return nil
    }

    private mutating func append(_ location: GroupLocation, level: Int) {
        while levels.count <= level {
            levels.append([])
            cursors.append(0)
        }
        levels[level].append(location)
    }
}
