/// A new channel: where to send, the ticket that lets the broadcaster in, and the secret that
/// lets it close or resume the channel later.
public struct OpenChannelResponse: Codable, Equatable, Sendable {
    public var channel: ChannelID
    public var unit: UnitAddress
    public var ticket: String
    public var secret: String

    public init(channel: ChannelID, unit: UnitAddress, ticket: String, secret: String) {
        self.channel = channel
        self.unit = unit
        self.ticket = ticket
        self.secret = secret
    }
}
