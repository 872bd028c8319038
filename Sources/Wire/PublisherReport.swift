/// How a channel's RTMP or SRT publisher is doing, as its root unit says in each report: what
/// the portal and the dashboard show as the ingest's state.
public struct PublisherReport: Codable, Equatable, Sendable {
    /// "rtmp" (or "srt").
    public var ingest: String
    public var videoCodec: VideoCodec
    public var audioCodec: String
    /// What came from the publisher over the last heartbeat interval.
    public var kilobitsPerSecond: Int
    public var framesPerSecond: Double
    /// Packets dropped over the channel's bitrate cap since the publisher came.
    public var dropped: Int

    public init(ingest: String, videoCodec: VideoCodec, audioCodec: String, kilobitsPerSecond: Int, framesPerSecond: Double, dropped: Int) {
        self.ingest = ingest
        self.videoCodec = videoCodec
        self.audioCodec = audioCodec
        self.kilobitsPerSecond = kilobitsPerSecond
        self.framesPerSecond = framesPerSecond
        self.dropped = dropped
    }
}
