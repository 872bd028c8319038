import DataPlane
import NIOCore
import Wire

/// One client's TCP session with this unit: a broadcaster, a viewer, or another unit's relay
/// link. Lives on the unit's event loop.
final class UnitSession {
    /// Where the session is in its opening conversation.
    enum Phase { case awaitingHello, awaitingOpen, open, closed }

    let id: SessionID
    let connection: Channel
    /// A browser's session: always in TCP mode (a page has no UDP socket).
    let overWebSocket: Bool
    let bindToken = BindToken.random()
    var phase = Phase.awaitingHello
    var peerName = ""
    var ticket: Ticket?
    var mode = MediaMode.udp
    /// The UDP address proven by a bind; media goes nowhere else.
    var udpAddress: SocketAddress?
    var lastBind: NIODeadline?
    /// The last frame on the TCP session or bind on UDP: what says the client is still there.
    var lastHeard = NIODeadline.now()
    /// Where a receiver opened again left off: its media starts after it (once).
    var resume: ResumePoint?
    /// TCP-mode viewers read the feed through their own cursor.
    var cursor: FeedCursor?
    var chatLimiter: ChatRateLimiter
    /// Mode switches the client may ask for: each is an event for the CSMs' log.
    var modeLimiter: ChatRateLimiter
    var bytesSent: UInt64 = 0
    /// Written to since the unit's last flush.
    var awaitingFlush = false
    /// Writes straight to the socket (the TCP session port; not WebSocket), on the connection's loop.
    var writer: NIOLoopBound<DirectWriteHandler>?
    /// The same writer, for a connection on the unit's own loop: reached without a loop check,
    /// and while it holds nothing for NIO the connection is writable without asking the channel.
    var localWriter: DirectWriteHandler?
    /// The unit's loop the connection lives on: 0 the unit's own, else `mediaWorkers[loop - 1]`.
    var loop = 0

    init(id: SessionID, connection: Channel, overWebSocket: Bool = false, chatLimiter: ChatRateLimiter) {
        self.id = id
        self.connection = connection
        self.overWebSocket = overWebSocket
        self.chatLimiter = chatLimiter
        modeLimiter = ChatRateLimiter(burst: 5, now: .now())
    }

    /// Whether the connection takes more now: asked of the channel only while NIO holds bytes of it.
    var isWritable: Bool { localWriter?.holdsNothing == true || connection.isWritable }

    var role: TicketRole? { ticket?.role }
    var channel: ChannelID? { ticket?.channel }
    var group: GroupID? { ticket?.group }
    /// Viewers and relay links receive media; broadcasters send it.
    var receivesMedia: Bool { role == .viewer || role == .relay }
}
