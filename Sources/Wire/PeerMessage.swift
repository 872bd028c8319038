/// What the primary and backup CSMs say to each other.
public enum PeerMessage: Codable, Equatable, Sendable {
    case hello(Hello)
    case heartbeat(Heartbeat)
}
