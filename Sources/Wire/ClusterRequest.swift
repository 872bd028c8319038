/// What a web server (or a client talking to the CSM directly) asks the CSM; answered by a
/// `ClusterResponse` with the same id.
public enum ClusterRequest: Codable, Equatable, Sendable {
    case hello(Hello)
    case call(id: UInt64, ClusterCall)
}
