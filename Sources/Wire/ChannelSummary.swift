/// One live channel as the portal lists it.
public struct ChannelSummary: Codable, Equatable, Sendable {
    public var channel: ChannelID
    public var title: String
    public var broadcasterName: String
    public var viewers: Int
    public var startedAtMilliseconds: UInt64
    public var videoCodec: VideoCodec

    public init(channel: ChannelID, title: String, broadcasterName: String, viewers: Int, startedAtMilliseconds: UInt64, videoCodec: VideoCodec = .vp8) {
        self.channel = channel
        self.title = title
        self.broadcasterName = broadcasterName
        self.viewers = viewers
        self.startedAtMilliseconds = startedAtMilliseconds
        self.videoCodec = videoCodec
    }
}
