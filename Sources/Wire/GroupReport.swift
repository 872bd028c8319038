/// One assigned group in a unit report.
public struct GroupReport: Codable, Equatable, Sendable {
    public var group: GroupID
    public var channel: ChannelID
    /// The group feeding this one over a relay link; nil for a channel's root or a group fed
    /// inside the unit.
    public var parent: GroupLocation?
    public var broadcasterHere: Bool
    public var udpViewers: Int
    public var tcpViewers: Int
    public var bytesSent: UInt64
    /// The channel as it was opened, where the unit holds the channel's root.
    public var info: ChannelInfo?

    public init(
        group: GroupID, channel: ChannelID, parent: GroupLocation?, broadcasterHere: Bool, udpViewers: Int,
        tcpViewers: Int, bytesSent: UInt64, info: ChannelInfo? = nil
    ) {
        self.group = group
        self.channel = channel
        self.parent = parent
        self.broadcasterHere = broadcasterHere
        self.udpViewers = udpViewers
        self.tcpViewers = tcpViewers
        self.bytesSent = bytesSent
        self.info = info
    }

    public var viewers: Int { udpViewers + tcpViewers }
}
