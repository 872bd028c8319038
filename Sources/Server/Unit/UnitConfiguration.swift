import Wire

/// Everything a streaming unit is told at start; flags and config files fill it.
struct UnitConfiguration: Sendable {
    var unit: UnitID = 1
    /// The address clients are told to connect to.
    var publicHost = "127.0.0.1"
    /// Where to listen; 0 picks a free port.
    var bindHost = "127.0.0.1"
    /// Where `/metrics` and `/health` listen: the operator's, not the public's.
    var adminBindHost = "127.0.0.1"
    var sessionPort = 0
    var mediaPort = 0
    /// Where browsers open sessions over WebSocket; nil: nowhere.
    var webSocketPort: Int? = 0
    /// Where RTMP publishers (OBS, ffmpeg, GStreamer) connect; nil: nowhere.
    var rtmpPort: Int? = 0
    /// How long an RTMP publisher may take from connecting to `publish`, and stay silent after.
    var rtmpTimeout: Duration = .seconds(10)
    /// RTMP connections one client network may hold.
    var rtmpPerNetwork = 8
    /// The port browsers are told instead of the one bound: a TLS proxy's in front of it.
    var webSocketPublicPort: Int?
    /// Origins of the portal's pages, besides loopback and the unit's own host, that may open
    /// sessions over WebSocket.
    var allowedOrigins: [String] = []
    var webSocketOrigins: OriginPolicy { OriginPolicy(allowed: allowedOrigins, ownHost: publicHost) }
    var groupsPerUnit = 50
    /// Event loops: the unit's state lives on the first; each has its own socket on the media
    /// port and sends to its share of the UDP receivers.
    var threads = 1
    var groupCapacity = 10
    /// Packets each channel feed holds (paper fig. 10). About 8 s of a 1 Mbit/s stream.
    var feedCapacity = 1024
    /// Packets a TCP viewer may fall behind before it gets audio only.
    var lagThreshold = 100
    /// Packets a TCP relay link may fall behind before it, and every viewer below it, gets audio
    /// only: half the feed, since cutting a relay link's video cuts it for a whole subtree.
    var relayLagThreshold: Int { max(lagThreshold, feedCapacity / 2) }
    /// TCP receivers are written to at the end of each video frame, or this long after a packet
    /// came (an audio-only channel, a frame not yet finished): what arrived in between goes out in
    /// one write each (one shared chunk for every receiver that is caught up). Zero: after each
    /// read batch.
    var tcpBatchInterval: Duration = .milliseconds(40)
    /// A unit whose event loop runs its timers later than this refuses new viewers (they join
    /// elsewhere) and says so in its reports, until it catches up.
    var maxLoopDelay: Duration = .milliseconds(250)
    /// The unit's credential (`avserver keygen --unit ID`): its own link key and the CSMs' public
    /// ticket key. On loopback the cluster key itself may stand in (`avserver all`, tests): the
    /// unit then derives its credential from it.
    var secret = Secret.builtInClusterKey
    /// The credential the secret is, or makes.
    var credential: UnitCredential { UnitCredential(text: secret) ?? ClusterKeys(clusterKey: secret).credential(for: unit) }
    /// Sessions (TCP connections) one client address may hold.
    var sessionsPerAddress = 256
    /// A session whose client reads nothing while its queue is full is cut off after this long.
    var stallTimeout: Duration = .seconds(15)
    /// CSMs to report to (host:port).
    var csmAddresses: [String] = []
    var heartbeatInterval: Duration = .milliseconds(500)
    /// The longest lease this unit grants a CSM (docs/HA.md).
    var longestLease: Duration = .seconds(1)
    /// How long after start the unit grants no lease (nil: a longest lease), since one its earlier
    /// run granted may still run. Only a test whose units never ran before may shorten it.
    var leaseStartGuard: Duration? = nil
    /// A UDP address that has not sent a bind (keepalive) for this long gets no more media.
    var udpTimeout: Duration = .seconds(10)
    /// Chat lines a session may send per 10 seconds.
    var chatBurst = 5
    /// Chat lines a channel's sessions on this unit may send together per 10 seconds.
    var channelChatBurst = 30
    /// The last of those lines go only to someone who has not spoken in that time; nil: a third.
    var channelChatReserve: Int?
    /// Of those, lines one client network may send, however many sessions it holds.
    var networkChatBurst = 10
    /// How client addresses group into networks for the per-client limits.
    var networks = ClientNetworks()
    /// Sessions the unit holds at most; 0: its viewer places, plus a broadcaster and a relay link
    /// a group, plus room for sessions still opening.
    var maxSessions = 0

    /// The session limit in force.
    var sessionLimit: Int { maxSessions > 0 ? maxSessions : groupsPerUnit * (groupCapacity + 2) + 64 }
    /// Kernel send buffer of each session socket: small enough that a slow TCP viewer's lag shows
    /// in its cursor (and triggers audio only) instead of hiding in the kernel.
    var sessionSendBuffer = 256 << 10
    /// Largest RTP packet taken from a broadcaster.
    var maxPacketBytes = 1500
    /// Most a channel's broadcaster may send, in bits per second.
    var maxChannelBitrate = 8_000_000
    /// An open session whose client has sent nothing, neither on TCP nor a UDP keepalive, for this
    /// long is closed (a TCP-mode receiver proves itself by reading instead: `stallTimeout`).
    var sessionIdleTimeout: Duration = .seconds(60)
    /// How long a new TCP connection may take to open its session.
    var openTimeout: Duration = .seconds(5)
    /// Connections waiting to open a session, in all and from one client network; past either a
    /// newcomer sheds the oldest. They count against `sessionLimit` only once open.
    var unopenedSessions = 256
    var unopenedSessionsPerNetwork = 32
    /// How long a channel whose last group here was freed refuses tickets that would give it a
    /// group again on their own: past the life of any client ticket (30 s), so a ticket taken
    /// while the channel was live cannot bring it back once it has closed.
    var channelTombstone: Duration = .seconds(60)
}
