import Wire

/// Which log lines the admin wants: filters and a page.
struct LogFilter: Sendable, Equatable {
    var unit: UnitID?
    var channel: ChannelID?
    var kind: String?
    /// Only lines at or after this time.
    var sinceMilliseconds: UInt64?
    var limit = 100
    var offset = 0
}
