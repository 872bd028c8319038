import Wire

/// The client-facing calls of the cluster (paper 2.2): the CSM answers them itself, and the web
/// portal passes them on to the CSM. One protocol, so the HTTP routes are written once.
protocol ClusterAPI: Sendable {
    /// `client` is the client network that asks (`ClientNetworks`), which may hold only so many
    /// live channels; nil is the admin.
    func openChannel(_ request: OpenChannelRequest, client: String?) async -> Result<OpenChannelResponse, ControlError>
    func joinChannel(_ channel: ChannelID) async -> Result<JoinChannelResponse, ControlError>
    func rejoinBroadcaster(_ channel: ChannelID, secret: String) async -> Result<OpenChannelResponse, ControlError>
    func closeChannel(_ channel: ChannelID, secret: String) async -> ControlError?
    func listChannels() async -> [ChannelSummary]
}
