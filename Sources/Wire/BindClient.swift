import NIOCore

/// The client's half of the bind exchange (`BindDatagram`), written once for every client: the
/// CLIs' sessions, `viewer load`'s sockets and a unit's relay links. Pure: datagrams in, what to
/// do out; the owner sends `request` on its socket.
public struct BindClient: Sendable {
    /// What to do after a datagram from the unit.
    public enum Reaction: Equatable, Sendable {
        /// Not a reply for this session: nothing.
        case ignore
        /// A challenge: send `request` again at once, now carrying its cookie.
        case sendAgain
        /// The address is proven: media flows to it.
        case bound
    }

    public let session: SessionID
    private let token: BindToken
    private var cookie = BindCookie.none
    public private(set) var isBound = false

    public init(session: SessionID, token: BindToken) {
        self.session = session
        self.token = token
    }

    public init(_ opened: SessionOpened) {
        self.init(session: opened.session, token: opened.bindToken)
    }

    /// The bind request to send now (also the UDP keepalive), with the newest cookie.
    public var request: ByteBuffer { BindDatagram.request(session: session, token: token, cookie: cookie).encoded() }

    /// A bind datagram from the unit.
    public mutating func received(_ datagram: ByteBuffer) -> Reaction {
        guard case .reply(let session, let cookie, let bound) = try? BindDatagram(parsing: datagram), session == self.session else {
            return .ignore
        }
        self.cookie = cookie
        isBound = bound
        return bound ? .bound : .sendAgain
    }
}
