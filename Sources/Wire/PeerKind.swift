/// Who is on the other end of a connection, as said in its hello.
public enum PeerKind: String, Codable, Sendable {
    case broadcaster, viewer, relay, unit, csm, web, admin
}
