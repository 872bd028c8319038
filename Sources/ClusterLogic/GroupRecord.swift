import Wire

/// One assigned group, as the CSM sees it: its channel, its parent in the group tree, and how
/// full it is.
package struct GroupRecord: Equatable, Sendable {
    package var channel: ChannelID
    /// nil for the channel's root group.
    package var parent: GroupLocation?
    package var reportedViewers = 0
    package var broadcasterHere = false
    /// The channel's publisher as the root's unit last reported it (RTMP, SRT).
    package var publisher: PublisherReport?
    /// A place given to a viewer (its ticket's nonce) that the unit has not reported opened yet.
    package struct PendingJoin: Equatable, Sendable {
        package var nonce: UInt64
        package var issued: ContinuousClock.Instant
    }

    /// Places given to viewers the unit has not reported yet.
    package var pendingJoins: [PendingJoin] = []
    /// When the unit last reported this group.
    package var lastReport: ContinuousClock.Instant?
    /// Since when the group has had nobody; nil while anyone is there.
    package var emptySince: ContinuousClock.Instant?
    /// When the CSM placed it (a group not yet reported is kept this long).
    package var placedAt: ContinuousClock.Instant

    /// A place promised to a viewer that never came is released after this.
    package static let joinGrace: Duration = .seconds(3)

    /// Viewers reported, plus places promised whose tickets the unit has not reported opened
    /// and that have not lapsed: each viewer counts once, whether its ticket or its unit's
    /// report reached the CSM first.
    package func occupancy(at now: ContinuousClock.Instant) -> Int {
        let cutoff = now - Self.joinGrace
        return reportedViewers + pendingJoins.count { $0.issued > cutoff }
    }
}
