import Wire

/// One of the unit's `groupsPerUnit` groups: free, or serving one channel for up to
/// `groupCapacity` viewers.
struct GroupSlot {
    let id: GroupID
    var channel: ChannelID?
    /// The broadcaster sends into this group.
    var isRoot = false
    /// The group on another unit that feeds this one.
    var parent: GroupLocation?
    var sessions: Set<SessionID> = []
    /// Nonces of the viewer tickets opened since the last report (`GroupReport.openedTickets`).
    var openedTickets: [UInt64] = []

    init(id: GroupID) { self.id = id }

    var isFree: Bool { channel == nil }
}
