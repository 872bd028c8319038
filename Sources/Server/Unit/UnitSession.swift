import CDatagram
import DataPlane
import NIOCore
import Wire

/// One client's TCP session with this unit: a broadcaster, a viewer, or another unit's relay
/// link. Lives on the unit's event loop.
final class UnitSession {
    /// Where the session is in its opening conversation.
    enum Phase { case awaitingHello, awaitingOpen, open, closed }

    // What a TCP batch reads of every receiver comes first, together: it fits in the cache
    // lines the batch asks for ahead of its turn (see `ChannelRouter.sendTCPBatch`).
    var phase = Phase.awaitingHello
    /// The unit's loop the connection lives on: 0 the unit's own, else `mediaWorkers[loop - 1]`.
    var loop = 0
    /// Written to since the unit's last flush.
    var awaitingFlush = false
    /// The same writer as `writer`, for a connection on the unit's own loop: reached without a
    /// loop check, and while it holds nothing for NIO the connection is writable without asking
    /// the channel.
    var localWriter: DirectWriteHandler?
    var bytesSent: UInt64 = 0
    /// TCP-mode viewers read the feed through their own cursor.
    var cursor: FeedCursor?

    let id: SessionID
    /// The unit that holds the session and outlives it: its writes leave through the unit's
    /// output, its lag notices go to the unit. Unowned without counting: every TCP write of a
    /// batch goes through it.
    unowned(unsafe) let unit: Unit
    let connection: Channel
    /// A browser's session: always in TCP mode (a page has no UDP socket).
    let overWebSocket: Bool
    let bindToken = BindToken.random()
    /// A broadcaster's UDP packets carry a tag made with this key (given in its `SessionOpened`);
    /// made when a broadcaster's session opens, nil for every other session.
    var uplinkTag: UplinkTag?
    var peerName = ""
    /// The client network the connection comes from (`ClientNetworks`), for the per-client limits.
    var network = "?"
    var ticket: Ticket?
    /// Its media: mode, whether the fan-out holds it, where it resumes (`ReceiverLife`).
    var life = ReceiverLife()
    /// The last frame on the TCP session or bind on UDP: what says the client is still there.
    var lastHeard: NIODeadline
    var chatLimiter: ChatRateLimiter
    /// Mode switches the client may ask for: each is an event for the CSMs' log.
    var modeLimiter: ChatRateLimiter
    /// Writes straight to the socket (the TCP session port; not WebSocket), on the connection's loop.
    var writer: NIOLoopBound<DirectWriteHandler>?
    init(id: SessionID, unit: Unit, connection: Channel, overWebSocket: Bool = false, chatLimiter: ChatRateLimiter) {
        self.id = id
        self.unit = unit
        self.connection = connection
        self.overWebSocket = overWebSocket
        self.chatLimiter = chatLimiter
        lastHeard = unit.clock.deadline()
        modeLimiter = ChatRateLimiter(burst: 5, now: lastHeard)
    }


    var role: TicketRole? { ticket?.role }
    var channel: ChannelID? { ticket?.channel }
    var group: GroupID? { ticket?.group }
    var mode: MediaMode { life.mode }
    /// Viewers and relay links receive media; broadcasters send it.
    var receivesMedia: Bool { role == .viewer || role == .relay }
}

/// A viewer's or relay link's session in TCP mode, as its channel's router writes it.
extension UnitSession: TCPReceiver {
    var isOpen: Bool { phase == .open }

    /// Whether the connection takes more now: asked of the channel only while NIO holds bytes of it.
    var isWritable: Bool { localWriter?.holdsNothing == true || connection.isWritable }

    /// A session on another loop turns unwritable only once that loop has written: it gets at
    /// most this much per pump, and the next batch or its writability pumps again.
    var pumpBudget: Int { loop == 0 ? Int.max : ChannelRouter.tcpWriteBytes * 2 }

    func write(_ bytes: ByteBuffer, packets: Int) {
        bytesSent += UInt64(bytes.readableBytes)
        unit.output.deliver(bytes, to: self)
    }

    func notice(_ notice: FeedCursor.Notice) {
        unit.report(notice, for: self)
    }

    func prefetchForBatch() {
        if let localWriter { avc_prefetch(Unmanaged.passUnretained(localWriter).toOpaque(), 64) }
    }
}
