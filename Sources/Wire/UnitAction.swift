/// The work a CSM gives a unit.
public enum UnitAction: Codable, Equatable, Sendable {
    /// Serve `channel` in `group`, fed by `parent` (a group of this unit, or of another unit
    /// with its relay link opened by `openRelayLink`); no parent: the channel's root group, with
    /// the random nonce of the channel's secret, which the unit reports so any CSM can check it.
    case assignGroup(GroupID, channel: ChannelID, parent: GroupLocation?, info: ChannelInfo? = nil)
    /// Stop serving the group and close its sessions.
    case freeGroup(GroupID)
    /// Feed `group` from a parent group on another unit: connect there like a viewer, with `ticket`.
    case openRelayLink(group: GroupID, channel: ChannelID, parent: UnitAddress, parentGroup: GroupID, ticket: String)
    /// Take no new sessions; keep the ones open.
    case drain(Bool)
}
