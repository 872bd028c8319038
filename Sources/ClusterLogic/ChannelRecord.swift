import Wire

/// One live channel: its root group and its most viewers so far. Its groups and tree are in
/// the unit records (as the units report them).
package struct ChannelRecord: Equatable, Sendable {
    package var id: ChannelID
    package var root: GroupLocation
    package var startedAtMilliseconds: UInt64
    package var maxViewers = 0
    package var title = ""
    package var broadcasterName = ""
    /// Made at open: the channel's secret is derived from its number and this, so a secret of an
    /// earlier channel with the same number never matches. Known to every CSM, with the title,
    /// name and start, through the root unit's reports.
    package var secretNonce: UInt64 = 0
    package var videoCodec = VideoCodec.vp8
    /// The stream key that opened it (RTMP or SRT): its publisher resumes it with the same key.
    package var streamKey: UInt64?
    /// What the root unit is told, and reports back to every CSM.
    package var info: ChannelInfo {
        ChannelInfo(
            title: title, broadcasterName: broadcasterName, startedAtMilliseconds: startedAtMilliseconds, secretNonce: secretNonce,
            videoCodec: videoCodec, streamKey: streamKey)
    }
    /// Since when no unit reports the channel's broadcaster; nil while one does.
    package var broadcasterAbsentSince: ContinuousClock.Instant?
    /// The client network that opened it (nil: the admin, or learnt from reports), for the cap on
    /// live channels per client.
    package var openedBy: String?
    /// Whether a unit has reported its broadcaster: until then the shorter `unusedOpenGrace` holds.
    package var broadcasterCame = false
}
