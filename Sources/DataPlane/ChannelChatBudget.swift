import NIOCore

/// How a channel's chat lines on one unit are shared (docs/SECURITY.md, fair chat): the channel
/// takes `channelBurst` lines per window from everyone together, one client network at most
/// `networkBurst` of them however many sessions it opens, and the last `reserve` lines of the
/// channel's budget only go to someone who has not spoken within the window, so a few loud
/// talkers cannot silence the rest. The broadcaster is not counted. Pure: time is an input.
package struct ChannelChatBudget {
    package enum Verdict: Equatable { case allowed, networkBusy, channelBusy }

    package let networkBurst: Int
    package let channelBurst: Int
    package let reserve: Int
    private let window: TimeAmount
    private var channel: ChatRateLimiter
    private var networks: [String: ChatRateLimiter] = [:]
    /// When each speaker last got a line through.
    private var lastSpoke: [UInt64: NIODeadline] = [:]
    /// Past this many networks or speakers the quiet ones are forgotten (memory stays bounded).
    private static let remembered = 4096

    /// `reserve` nil: a third of the channel's burst.
    package init(channelBurst: Int, networkBurst: Int, reserve: Int? = nil, window: TimeAmount = .seconds(10), now: NIODeadline) {
        self.channelBurst = max(channelBurst, 1)
        self.networkBurst = max(networkBurst, 1)
        self.reserve = min(max(reserve ?? self.channelBurst / 3, 0), self.channelBurst - 1)
        self.window = window
        channel = ChatRateLimiter(burst: self.channelBurst, window: window, now: now)
    }

    /// Whether `speaker` (a session) from `network` may send a line now; takes it if so.
    package mutating func allow(speaker: UInt64, network: String, at now: NIODeadline) -> Verdict {
        var fromNetwork = networks[network] ?? ChatRateLimiter(burst: networkBurst, window: window, now: now)
        let quiet = lastSpoke[speaker].map { now - $0 >= window } ?? true
        guard channel.allow(at: now, keeping: quiet ? 0 : Double(reserve)) else { return .channelBusy }
        guard fromNetwork.allow(at: now) else {
            channel.giveBack()
            networks[network] = fromNetwork
            return .networkBusy
        }
        networks[network] = fromNetwork
        lastSpoke[speaker] = now
        if networks.count > Self.remembered { networks = networks.filter { !$0.value.isFull(at: now) } }
        if lastSpoke.count > Self.remembered { lastSpoke = lastSpoke.filter { now - $0.value < window } }
        return .allowed
    }
}
