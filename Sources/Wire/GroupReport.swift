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
    /// The nonces of the viewer tickets opened here since the last report: the CSM stops counting
    /// those places as promised, as the viewers now count among those reported (once each).
    public var openedTickets: [UInt64]?
    /// The channel's RTMP or SRT publisher, where the unit holds the root and one is connected.
    public var publisher: PublisherReport?

    public init(
        group: GroupID, channel: ChannelID, parent: GroupLocation?, broadcasterHere: Bool, udpViewers: Int,
        tcpViewers: Int, bytesSent: UInt64, info: ChannelInfo? = nil, openedTickets: [UInt64]? = nil,
        publisher: PublisherReport? = nil
    ) {
        self.group = group
        self.channel = channel
        self.parent = parent
        self.broadcasterHere = broadcasterHere
        self.udpViewers = udpViewers
        self.tcpViewers = tcpViewers
        self.bytesSent = bytesSent
        self.info = info
        self.openedTickets = openedTickets
        self.publisher = publisher
    }

    public var viewers: Int { udpViewers + tcpViewers }
}
