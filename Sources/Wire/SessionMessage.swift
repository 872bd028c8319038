/// The control conversation of a client's TCP session with its unit. It shares the RFC 4571
/// stream with RTP (`SessionFrame`). The first frame from each side is `hello`.
public enum SessionMessage: Codable, Equatable, Sendable {
    case hello(Hello)
    /// Client: open a session with a ticket (and a display name for chat); a receiver joining
    /// again says where it left off.
    case open(ticket: String, name: String, resume: ResumePoint? = nil)
    /// Unit: the session is open; bind UDP with this token or ask for TCP.
    case opened(SessionOpened)
    /// Either side: the request failed; a unit closes the connection after a fatal one.
    case error(ControlError)
    /// Client: receive media this way from now on.
    case setMode(MediaMode, reason: String)
    /// Unit: the mode in force now, and why (a client request or the lag policy).
    case modeChanged(MediaMode, reason: String)
    /// Either side: a chat line of the channel.
    case chat(ChatLine)
    /// Unit: video stops (true) because the session fell too far behind, or resumes at the next
    /// keyframe (false); audio keeps flowing either way.
    case videoSkipped(Bool, reason: String)
    /// Unit to broadcaster: send a keyframe as soon as possible.
    case keyframeRequest(reason: String)
    /// Unit: news of the channel for status lines.
    case channelStatus(viewers: Int)
    /// Either side: this session ends; say why.
    case goodbye(reason: String)
}
