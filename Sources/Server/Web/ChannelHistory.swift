import Wire

/// A channel as the portal's database keeps it: live ones and the history.
struct ChannelHistory: Codable, Equatable, Sendable {
    var channel: ChannelID
    var title: String
    var broadcasterName: String
    var startedAtMilliseconds: UInt64
    var endedAtMilliseconds: UInt64?
    var peakViewers: Int
    var totalViewers: Int
}
