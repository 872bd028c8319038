import Wire

/// The CSM's view for the admin service and the dashboard: units with their groups, channels
/// with their trees. `Equatable` on structure, so a rebuilt view can be compared with the old.
package struct ClusterView: Codable, Equatable, Sendable {
    package struct Unit: Codable, Equatable, Sendable {
        package var unit: UnitID
        package var address: UnitAddress
        package var state: String
        package var groupsPerUnit: Int
        package var groupCapacity: Int
        package var viewers: Int
        package var bytesPerSecond: UInt64
        package var groups: [Group]
    }

    package struct Group: Codable, Equatable, Sendable {
        package var group: GroupID
        package var channel: ChannelID
        package var parent: GroupLocation?
        package var viewers: Int
        package var broadcasterHere: Bool
    }

    package struct Channel: Codable, Equatable, Sendable {
        package var channel: ChannelID
        package var title: String
        package var broadcasterName: String
        package var root: GroupLocation
        package var viewers: Int
        package var maxViewers: Int
        package var groupCount: Int
        package var startedAtMilliseconds: UInt64
        package var videoCodec: VideoCodec
        /// Its RTMP or SRT publisher's state, while one is connected.
        package var publisher: PublisherReport?
        /// Child to parent (paper fig. 5).
        package var tree: [String: GroupLocation]
    }

    package var epoch: UInt64
    package var units: [Unit]
    package var channels: [Channel]

    /// Units, groups, parents and roots only: what must survive a CSM restart.
    package var structure: [String] {
        units.flatMap { unit in unit.groups.map { "\(unit.unit)-\($0.group) channel \($0.channel) parent \($0.parent.map { "\($0)" } ?? "none")" } }
            + channels.map { "channel \($0.channel) root \($0.root)" }
    }
}

extension ClusterState {
    package func view(epoch: UInt64, at now: ContinuousClock.Instant) -> ClusterView {
        ClusterView(
            epoch: epoch,
            units: units.values.sorted { $0.id < $1.id }.map { unit in
                ClusterView.Unit(
                    unit: unit.id, address: unit.address, state: unit.linkDown ? "unreachable" : !unit.obeys ? "waiting for its lease" : unit.draining ? "draining" : unit.overloaded ? "overloaded" : "active",
                    groupsPerUnit: unit.announcement.groupsPerUnit, groupCapacity: unit.capacity, viewers: unit.viewers(at: now),
                    bytesPerSecond: unit.load.bytesPerSecond,
                    groups: unit.groups.sorted { $0.key < $1.key }.map { id, record in
                        ClusterView.Group(group: id, channel: record.channel, parent: record.parent, viewers: record.occupancy(at: now), broadcasterHere: record.broadcasterHere)
                    })
            },
            channels: channels.values.sorted { $0.id < $1.id }.map { channel in
                let groups = groups(of: channel.id)
                return ClusterView.Channel(
                    channel: channel.id, title: channel.title, broadcasterName: channel.broadcasterName, root: channel.root,
                    viewers: viewers(of: channel.id, at: now), maxViewers: channel.maxViewers, groupCount: groups.count,
                    startedAtMilliseconds: channel.startedAtMilliseconds, videoCodec: channel.videoCodec,
                    publisher: group(at: channel.root)?.publisher,
                    tree: Dictionary(uniqueKeysWithValues: groups.compactMap { group in group.record.parent.map { ("\(group.location)", $0) } }))
            })
    }
}
