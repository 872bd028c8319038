import NIOConcurrencyHelpers
import Wire

/// What a unit's `/health` answers: how it is, as of its last heartbeat, with nothing anyone
/// could use against it (no titles, names, ticket or secret nonces). Written by the heartbeat,
/// read by the admin port without a hop onto the data plane's loop.
struct UnitHealth: Codable, Sendable, Equatable {
    struct Group: Codable, Sendable, Equatable {
        var group: GroupID
        var channel: ChannelID
        var viewers: Int
        var broadcasterHere: Bool
    }

    var unit: UnitID
    var epoch: UInt64
    var atMilliseconds: UInt64
    var sessions: Int
    var viewers: Int
    var freeGroups: Int
    var loopDelayMilliseconds: UInt64
    var draining: Bool
    var csmLinksUp: Int
    var groups: [Group]

    init(report: UnitReport, sessions: Int, csmLinksUp: Int) {
        unit = report.unit
        epoch = report.epoch
        atMilliseconds = report.sentAtMilliseconds
        self.sessions = sessions
        viewers = report.load.viewers
        freeGroups = report.load.freeGroups
        loopDelayMilliseconds = report.load.loopDelayMilliseconds ?? 0
        draining = report.draining
        self.csmLinksUp = csmLinksUp
        groups = report.groups.map { Group(group: $0.group, channel: $0.channel, viewers: $0.viewers, broadcasterHere: $0.broadcasterHere) }
    }
}

/// The latest `UnitHealth`, shared between the unit's loop and the admin port.
typealias UnitHealthBoard = NIOLockedValueBox<UnitHealth?>
