import Wire

/// One assigned group, as the CSM sees it: its channel, its parent in the group tree, and how
/// full it is.
struct GroupRecord: Equatable, Sendable {
    var channel: ChannelID
    /// nil for the channel's root group.
    var parent: GroupLocation?
    var reportedViewers = 0
    var broadcasterHere = false
    /// A place given to a viewer (its ticket's nonce) that the unit has not reported opened yet.
    struct PendingJoin: Equatable, Sendable {
        var nonce: UInt64
        var issued: ContinuousClock.Instant
    }

    /// Places given to viewers the unit has not reported yet.
    var pendingJoins: [PendingJoin] = []
    /// When the unit last reported this group.
    var lastReport: ContinuousClock.Instant?
    /// Since when the group has had nobody; nil while anyone is there.
    var emptySince: ContinuousClock.Instant?
    /// When the CSM placed it (a group not yet reported is kept this long).
    var placedAt: ContinuousClock.Instant

    /// A place promised to a viewer that never came is released after this.
    static let joinGrace: Duration = .seconds(3)

    /// Viewers reported, plus places promised whose tickets the unit has not reported opened
    /// and that have not lapsed: each viewer counts once, whether its ticket or its unit's
    /// report reached the CSM first.
    func occupancy(at now: ContinuousClock.Instant) -> Int {
        reportedViewers + pendingJoins.count { $0.issued > now - Self.joinGrace }
    }
}
