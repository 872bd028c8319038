/// Why a client could not open or keep its session; each says what to do.
public enum ClientError: Error, CustomStringConvertible, Sendable {
    case connectFailed(host: String, port: Int, reason: String)
    case refused(String)
    case closedBeforeOpen
    case noBindReply(seconds: Double)

    public var description: String {
        switch self {
        case .connectFailed(let host, let port, let reason):
            "cannot connect to \(host):\(port) (\(reason)); check that the unit is running and reachable"
        case .refused(let message):
            "the unit refused the session: \(message)"
        case .closedBeforeOpen:
            "the unit closed the connection before the session opened; ask the web server for a new ticket"
        case .noBindReply(let seconds):
            "no UDP bind reply within \(seconds) s: UDP does not get through (NAT or firewall); use TCP mode"
        }
    }
}
