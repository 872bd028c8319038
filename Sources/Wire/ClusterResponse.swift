/// The CSM's answers to `ClusterRequest`s.
public enum ClusterResponse: Codable, Equatable, Sendable {
    case hello(Hello)
    case opened(id: UInt64, OpenChannelResponse)
    case joined(id: UInt64, JoinChannelResponse)
    case closed(id: UInt64)
    case channels(id: UInt64, [ChannelSummary])
    case failed(id: UInt64, ControlError)
    /// Sent when this CSM is not the primary; the client should try the next address.
    case notPrimary(epoch: UInt64)
}
