import Wire

/// One line of the CSM's event log (paper 2.1.2): a unit's event, or the CSM's own decision.
package struct ClusterLogEntry: Codable, Equatable, Sendable {
    package var unit: UnitID?
    package var timeMilliseconds: UInt64
    package var kind: String
    package var channel: ChannelID?
    package var group: GroupID?
    package var details: String

    package init(unit: UnitID?, timeMilliseconds: UInt64, kind: String, channel: ChannelID?, group: GroupID?, details: String) {
        self.unit = unit
        self.timeMilliseconds = timeMilliseconds
        self.kind = kind
        self.channel = channel
        self.group = group
        self.details = details
    }
}
