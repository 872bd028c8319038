import Wire

/// The CSM's policy numbers; all configuration.
package struct ClusterSettings: Sendable {
    /// A unit silent this long is failed: removed, its groups re-created elsewhere.
    package var failureTimeout: Duration = .milliseconds(1250)
    /// Expand when a channel's free places fall below this.
    package var expansionThreshold = 3
    /// Across units a channel's tree has this fan-out: a group feeds at most this many groups on
    /// other units, and a new one hangs under the group nearest the root with room, so a packet
    /// crosses at most ⌈log_k(units used)⌉ relay links.
    package var relayFanOut = 8
    /// An empty leaf group is freed after this long.
    package var shrinkGrace: Duration = .seconds(30)
    /// A channel whose broadcaster has not connected, or left and not come back, for this long is
    /// closed and its groups freed: opening a channel cannot hold places for nobody.
    package var broadcasterGrace: Duration = .seconds(60)
    /// A channel whose broadcaster never connected is closed after this long.
    package var unusedOpenGrace: Duration = .seconds(15)
    /// Live channels one client network may hold at once.
    package var liveChannelsPerClient = 5
    /// A unit whose event loop runs later than this (its report says) gets no new work until it
    /// catches up: its viewers would fall behind.
    package var maxUnitLoopDelay: Duration = .milliseconds(250)
    /// Lifetime of client tickets (short: a ticket is used at once).
    package var ticketLifetime: Duration = .seconds(30)
    /// Lifetime of relay tickets (a broken relay link reconnects with its ticket).
    package var relayTicketLifetime: Duration = .seconds(24 * 3600)

    package init() {}
}
