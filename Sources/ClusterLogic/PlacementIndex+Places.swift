import Wire

extension PlacementIndex {
    /// Load, then id: the least-loaded unit first, ties to the lowest id (`PlacementPolicy`).
    package struct LoadKey: Comparable, Sendable {
        package var load: Double
        package var unit: UnitID
        package static func < (a: LoadKey, b: LoadKey) -> Bool { a.load != b.load ? a.load < b.load : a.unit < b.unit }
    }

    package struct ChannelPlaces: Sendable {
        /// Units that take work and have a group of the channel with room.
        package var openUnits = IndexedHeap<UnitID, LoadKey>()
        /// Those groups, per unit, lowest first.
        package var openGroups: [UnitID: [GroupID]] = [:]
        /// Every group of the channel, per unit.
        package var groups: [UnitID: [GroupID]] = [:]
        package var viewers = 0
        package var freePlaces = 0
        package var broadcasters = 0
        /// Groups with nobody in them, broadcaster neither (the only ones shrinking looks at).
        package var emptyGroups: Set<GroupLocation> = []
        /// How many groups each group feeds (a group feeding none is a leaf).
        package var children: [GroupLocation: Int] = [:]
    }
}
