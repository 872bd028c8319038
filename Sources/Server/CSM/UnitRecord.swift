import Wire

/// What the CSM knows of one unit: what it announced, its last report, and the groups the CSM
/// placed there.
struct UnitRecord: Sendable {
    var announcement: UnitAnnouncement
    var lastHeard: ContinuousClock.Instant
    var load: UnitLoad
    var draining = false
    /// Its control link is down: no new work until it is back (or fails for good).
    var linkDown = false
    /// It granted this CSM its lease: it carries out this CSM's commands.
    var obeys = true
    /// Its last report said it cannot keep up (`ClusterSettings.maxUnitLoopDelay`).
    var overloaded = false
    var groups: [GroupID: GroupRecord] = [:]

    var id: UnitID { announcement.address.unit }
    /// Whether new groups and viewers may go here.
    var takesWork: Bool { !draining && !linkDown && obeys && !overloaded }
    var address: UnitAddress { announcement.address }
    var capacity: Int { announcement.groupCapacity }

    /// The lowest-numbered group the unit does not use.
    var firstFreeGroup: GroupID? {
        (1...max(announcement.groupsPerUnit, 1)).lazy.map { GroupID(UInt16($0)) }.first { groups[$0] == nil }
    }

    var freeGroupCount: Int { announcement.groupsPerUnit - groups.count }

    /// Viewers here, counting places promised to viewers not yet reported.
    func viewers(at now: ContinuousClock.Instant) -> Int {
        groups.values.reduce(0) { $0 + $1.occupancy(at: now) }
    }
}
