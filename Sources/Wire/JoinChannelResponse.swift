/// A viewer's place: the unit to connect to and its ticket.
public struct JoinChannelResponse: Codable, Equatable, Sendable {
    public var channel: ChannelID
    public var unit: UnitAddress
    public var ticket: String
    /// The video the channel carries, so a viewer sets up its decoder (or its SDP) before the
    /// first packet.
    public var videoCodec: VideoCodec

    public init(channel: ChannelID, unit: UnitAddress, ticket: String, videoCodec: VideoCodec = .vp8) {
        self.channel = channel
        self.unit = unit
        self.ticket = ticket
        self.videoCodec = videoCodec
    }
}
