import Wire

/// The client-facing calls of the cluster (paper 2.2): the CSM answers them itself, and the web
/// portal passes them on to the CSM. One protocol, so the HTTP routes are written once.
protocol ClusterAPI: Sendable {
    func openChannel(_ request: OpenChannelRequest) async -> Result<OpenChannelResponse, ControlError>
    func joinChannel(_ channel: ChannelID) async -> Result<JoinChannelResponse, ControlError>
    func rejoinBroadcaster(_ channel: ChannelID, secret: String) async -> Result<OpenChannelResponse, ControlError>
    func closeChannel(_ channel: ChannelID, secret: String) async -> ControlError?
    func listChannels() async -> [ChannelSummary]
}

extension ClusterAPI {
    /// Answers one call of the control protocol.
    func answer(_ call: ClusterCall, id: UInt64) async -> ClusterResponse {
        switch call {
        case .openChannel(let request):
            return Self.respond(await openChannel(request), id: id) { .opened(id: id, $0) }
        case .rejoinBroadcaster(let channel, let secret):
            return Self.respond(await rejoinBroadcaster(channel, secret: secret), id: id) { .opened(id: id, $0) }
        case .joinChannel(let channel):
            return Self.respond(await joinChannel(channel), id: id) { .joined(id: id, $0) }
        case .closeChannel(let channel, let secret):
            return await closeChannel(channel, secret: secret).map { .failed(id: id, $0) } ?? .closed(id: id)
        case .listChannels:
            return .channels(id: id, await listChannels())
        }
    }

    private static func respond<Value>(_ result: Result<Value, ControlError>, id: UInt64, _ success: (Value) -> ClusterResponse) -> ClusterResponse {
        switch result {
        case .success(let value): success(value)
        case .failure(let error): .failed(id: id, error)
        }
    }
}
