import Wire

/// What `viewer watch` was asked to do.
struct WatchSettings {
    var channel: ChannelID
    var name: String
    var bindTimeout: Duration
    var forceTCP: Bool
    var policy: ModePolicy.Settings
    var decodeVideo: Bool
    /// VP8 frames larger than this are dropped before the decoder.
    var maxFrameBytes = VP8FrameAssembler.defaultMaxFrameBytes
}
