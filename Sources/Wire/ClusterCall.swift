/// The calls of the CSM's client-facing API (paper 2.2: opening and joining a channel).
public enum ClusterCall: Codable, Equatable, Sendable {
    /// Allocate a root group for a new channel; the answer carries a broadcaster ticket.
    case openChannel(OpenChannelRequest)
    /// A new ticket for a channel's broadcaster (after its unit failed, say).
    case rejoinBroadcaster(ChannelID, secret: String)
    /// A place for one viewer; the answer carries a viewer ticket.
    case joinChannel(ChannelID)
    case closeChannel(ChannelID, secret: String)
    case listChannels
}
