import Wire

/// What the CSM knows of one unit: what it announced, its last report, and the groups the CSM
/// placed there.
package struct UnitRecord: Sendable {
    package var announcement: UnitAnnouncement
    package var lastHeard: ContinuousClock.Instant
    package var load: UnitLoad
    package var draining = false
    /// Its control link is down: no new work until it is back (or fails for good).
    package var linkDown = false
    /// It granted this CSM its lease: it carries out this CSM's commands.
    package var obeys = true
    /// Its last report said it cannot keep up (`ClusterSettings.maxUnitLoopDelay`).
    package var overloaded = false
    package var groups: [GroupID: GroupRecord] = [:]

    package var id: UnitID { announcement.address.unit }
    /// Whether new groups and viewers may go here.
    package var takesWork: Bool { !draining && !linkDown && obeys && !overloaded }
    package var address: UnitAddress { announcement.address }
    package var capacity: Int { announcement.groupCapacity }

    /// The lowest-numbered group the unit does not use.
    package var firstFreeGroup: GroupID? {
        (1...max(announcement.groupsPerUnit, 1)).lazy.map { GroupID(UInt16($0)) }.first { groups[$0] == nil }
    }

    package var freeGroupCount: Int { announcement.groupsPerUnit - groups.count }

    /// Viewers here, counting places promised to viewers not yet reported.
    package func viewers(at now: ContinuousClock.Instant) -> Int {
        groups.values.reduce(0) { $0 + $1.occupancy(at: now) }
    }
}
