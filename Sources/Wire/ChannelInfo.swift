/// What a channel's root unit holds about the channel and says in its reports, so any CSM, the
/// backup taking over included, knows the channel as it was opened (docs/HA.md).
public struct ChannelInfo: Codable, Equatable, Sendable {
    public var title: String
    public var broadcasterName: String
    public var startedAtMilliseconds: UInt64
    /// The nonce of the channel's close-and-resume secret.
    public var secretNonce: UInt64
    public var videoCodec: VideoCodec
    /// The stream key (its id) that opened it, for a channel fed over RTMP or SRT: a publisher
    /// that comes back with the key resumes this channel.
    public var streamKey: UInt64?

    public init(title: String, broadcasterName: String, startedAtMilliseconds: UInt64, secretNonce: UInt64, videoCodec: VideoCodec = .vp8, streamKey: UInt64? = nil) {
        self.title = title
        self.broadcasterName = broadcasterName
        self.startedAtMilliseconds = startedAtMilliseconds
        self.secretNonce = secretNonce
        self.videoCodec = videoCodec
        self.streamKey = streamKey
    }
}
