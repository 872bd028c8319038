/// How a session receives media: UDP datagrams, or RTP framed on its TCP session (RFC 4571).
public enum MediaMode: String, Codable, Sendable {
    case udp, tcp
}
