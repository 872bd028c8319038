import Wire

/// One line of the CSM's event log (paper 2.1.2): a unit's event, or the CSM's own decision.
struct ClusterLogEntry: Codable, Equatable, Sendable {
    var unit: UnitID?
    var timeMilliseconds: UInt64
    var kind: String
    var channel: ChannelID?
    var group: GroupID?
    var details: String
}
