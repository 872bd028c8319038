import Wire

/// One assigned group, as the CSM sees it: its channel, its parent in the group tree, and how
/// full it is.
struct GroupRecord: Equatable, Sendable {
    var channel: ChannelID
    /// nil for the channel's root group.
    var parent: GroupLocation?
    var reportedViewers = 0
    var broadcasterHere = false
    /// When places were given to viewers the unit may not have reported yet.
    var pendingJoins: [ContinuousClock.Instant] = []
    /// When the unit last reported this group.
    var lastReport: ContinuousClock.Instant?
    /// Since when the group has had nobody; nil while anyone is there.
    var emptySince: ContinuousClock.Instant?
    /// When the CSM placed it (a group not yet reported is kept this long).
    var placedAt: ContinuousClock.Instant

    /// A viewer connects within this of getting its ticket; a report later than that counts it.
    static let connectAllowance: Duration = .milliseconds(500)
    /// A place promised to a viewer that never came is released after this.
    static let joinGrace: Duration = .seconds(3)

    /// Viewers reported, plus places promised since the last report (less the time a viewer
    /// takes to connect) that have not lapsed.
    func occupancy(at now: ContinuousClock.Instant) -> Int {
        let reportCovers = lastReport.map { $0 - Self.connectAllowance }
        return reportedViewers + pendingJoins.count { issued in
            issued > now - Self.joinGrace && reportCovers.map { issued > $0 } ?? true
        }
    }
}
