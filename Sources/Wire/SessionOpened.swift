/// A unit's answer to a valid ticket.
public struct SessionOpened: Codable, Equatable, Sendable {
    public var session: SessionID
    public var channel: ChannelID
    public var group: GroupID
    public var role: TicketRole
    /// Sent back from the client's UDP socket to prove it owns that address.
    public var bindToken: BindToken
    /// The unit's UDP media port.
    public var mediaPort: Int
    /// The mode the session starts in.
    public var mode: MediaMode
    /// A broadcaster's uplink key (`UplinkTag`): every RTP packet it sends over UDP carries a tag
    /// made with it; for a relay link, the key that seals every packet the parent sends it. Known
    /// only to this session and the unit.
    public var uplinkKey: String?

    public init(
        session: SessionID, channel: ChannelID, group: GroupID, role: TicketRole, bindToken: BindToken, mediaPort: Int,
        mode: MediaMode, uplinkKey: String? = nil
    ) {
        self.uplinkKey = uplinkKey
        self.session = session
        self.channel = channel
        self.group = group
        self.role = role
        self.bindToken = bindToken
        self.mediaPort = mediaPort
        self.mode = mode
    }
}
