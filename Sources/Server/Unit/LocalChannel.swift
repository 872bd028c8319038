import DataPlane
import Ingest
import NIOCore
import Wire

/// A channel as this unit serves it (its groups here are the slots that name it: `Unit.slots(of:)`): its broadcaster or parent unit, its packet
/// path (`ChannelRouter`: the feed and who receives it), chat and uplink limits.
final class LocalChannel {
    let id: ChannelID
    /// The feed, its receivers, and how packets reach them.
    let router: ChannelRouter
    var broadcaster: SessionID?
    /// The RTMP publisher feeding it, when it is fed that way and rooted here.
    var publisher: RTMPPublisher?
    /// The RTP streams its publishers feed, kept across a publisher's reconnects.
    var publisherStream: PublisherStream?
    /// The relay link feeding this channel from a parent unit, when it is not rooted here.
    var parentLink: RelayLink?
    /// The next write to TCP receivers, while packets wait for one (`ChannelRouter.BatchTimer`).
    var tcpBatchTimer: Scheduled<Void>?
    var lastKeyframeRequest: NIODeadline = .uptimeNanoseconds(0)
    /// The viewer count changed since sessions were last told.
    var statusChanged = false
    /// What the broadcaster may send.
    var uplink: UplinkPolicy
    /// The broadcaster's own stream: its SSRCs, and the packets already taken.
    var uplinkGuard = UplinkGuard()
    /// The nonce of the channel's secret, when this unit holds its root (reported to every CSM).
    var info: ChannelInfo?
    /// Chat lines the channel's sessions here may send, shared fairly.
    var chatBudget: ChannelChatBudget
    /// The broadcaster's name as it chats (here, or in lines that came marked over a relay link):
    /// no viewer may chat under a name that passes for it.
    var broadcasterName: String?

    init(id: ChannelID, router: ChannelRouter, uplink: UplinkPolicy, chatBudget: ChannelChatBudget) {
        self.id = id
        self.router = router
        self.uplink = uplink
        self.chatBudget = chatBudget
    }

    var feed: ChannelFeed { router.feed }
    var fanOut: ChannelFanOut { router.fanOut }
}
