import DataPlane
import NIOCore
import Wire

/// A channel as this unit serves it: its groups here, the feed they share, and who receives it.
final class LocalChannel {
    let id: ChannelID
    var feed: ChannelFeed
    var groups: Set<GroupID> = []
    var broadcaster: SessionID?
    /// The broadcaster's proven UDP address.
    var broadcasterAddress: SocketAddress?
    /// The relay link feeding this channel from a parent unit, when it is not rooted here.
    var parentLink: RelayLink?
    /// Who receives the channel here, and how.
    var fanOut: ChannelFanOut
    /// Video packets waiting to go out together (GSO) at the end of their frame or read batch.
    var videoBatch = DatagramBatch()
    /// The first packet of the feed that TCP receivers have not been sent as a batch yet.
    var tcpBatchStart: UInt64 = 0
    /// The next write to TCP receivers, while packets wait for one.
    var tcpBatchTimer: Scheduled<Void>?
    /// When `tcpBatchTimer` fires.
    var tcpBatchDue: NIODeadline = .distantFuture
    /// When a frame's end writes the TCP receivers: at once, with the audio due next, or later
    /// while batches take most of the loop's time.
    var tcpPacing = TCPBatchPacing()
    /// The sessions of `fanOut.tcp`, as of its generation: the batch loop walks these instead of
    /// looking each one up.
    var tcpSessions: (generation: Int, sessions: [UnitSession]) = (-1, [])
    var lastKeyframeRequest: NIODeadline = .uptimeNanoseconds(0)
    var packetsIn: UInt64 = 0
    /// The viewer count changed since sessions were last told.
    var statusChanged = false
    /// What the broadcaster may send.
    var uplink: UplinkPolicy
    /// The broadcaster's own stream: its SSRCs, and the packets already taken.
    var uplinkGuard = UplinkGuard()
    /// Seals every packet of the feed for this unit's relay children (`UplinkTag.seal`); each
    /// child learns the key when its relay session opens.
    let relaySeal = UplinkTag.random()
    /// The nonce of the channel's secret, when this unit holds its root (reported to every CSM).
    var info: ChannelInfo?
    /// Chat lines the channel's sessions here may send, shared fairly.
    var chatBudget: ChannelChatBudget
    /// The broadcaster's name as it chats (here, or in lines that came marked over a relay link):
    /// no viewer may chat under a name that passes for it.
    var broadcasterName: String?

    /// `sendingLoops`: the unit's loops that share its UDP receivers.
    init(id: ChannelID, feedCapacity: Int, uplink: UplinkPolicy, chatBudget: ChannelChatBudget, sendingLoops: Int = 1) {
        self.id = id
        fanOut = ChannelFanOut(shards: sendingLoops)
        feed = ChannelFeed(capacity: feedCapacity)
        self.uplink = uplink
        self.chatBudget = chatBudget
    }
}
