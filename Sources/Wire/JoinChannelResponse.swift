/// A viewer's place: the unit to connect to and its ticket.
public struct JoinChannelResponse: Codable, Equatable, Sendable {
    public var channel: ChannelID
    public var unit: UnitAddress
    public var ticket: String

    public init(channel: ChannelID, unit: UnitAddress, ticket: String) {
        self.channel = channel
        self.unit = unit
        self.ticket = ticket
    }
}
