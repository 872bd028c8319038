/// What a ticket lets its holder do in its group.
public enum TicketRole: UInt8, Codable, Sendable, CaseIterable {
    /// Sends the channel's media into its root group.
    case broadcaster = 1
    /// Receives the channel's media.
    case viewer = 2
    /// A unit's relay link: receives like a viewer and feeds a child group on another unit.
    case relay = 3
}
