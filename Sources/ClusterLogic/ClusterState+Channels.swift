import Wire

extension ClusterState {
    /// Opens a channel: a root group on the least-loaded unit with a free group. `client` is the
    /// client network that asks (nil: the admin), which may hold `liveChannelsPerClient` at once.
    package mutating func open(
        title: String = "", broadcasterName: String = "", client: String? = nil, now: ContinuousClock.Instant
    ) -> Result<(ChannelID, GroupLocation), ControlError> {
        if let client, channels.values.count(where: { $0.openedBy == client }) >= settings.liveChannelsPerClient {
            return .failure(ControlError(
                .rateLimited, "\(client) already has \(settings.liveChannelsPerClient) live channels; close one (or let it end) before opening another"))
        }
        guard let id = units.placement(at: now).unitsWithFreeGroups.min, let unit = units[id], let group = unit.firstFreeGroup else {
            return .failure(ControlError(.noRoom, "every group of every unit is in use; try again later or add a unit"))
        }
        let root = GroupLocation(unit: unit.id, group: group)
        var record = ChannelRecord(id: 0, root: root, startedAtMilliseconds: wallClock(), title: title, broadcasterName: broadcasterName)
        record.openedBy = client
        return .success((create(record, now: now), root))
    }

    /// A publisher (OBS, ffmpeg, a phone) came to `unit` with a stream key the unit found
    /// genuine: the key's channel, resumed if it is live with its root there (a reconnecting
    /// publisher keeps its viewers), else opened with a free group of that unit as its root.
    /// `publisher`: what the unit calls it (its software, as it said), the channel's broadcaster name.
    package mutating func openForPublisher(
        _ key: StreamKey, publisher: String, at unit: UnitID, now: ContinuousClock.Instant
    ) -> Result<(ChannelID, GroupLocation), ControlError> {
        if revokedStreamKeys.contains(key.id) {
            return .failure(ControlError(.notAllowed, "stream key \(key.id) was revoked; make a new one in the portal"))
        }
        if let live = channels.values.first(where: { $0.streamKey == key.id }) {
            guard live.root.unit == unit else {
                return .failure(ControlError(
                    .notAllowed, "the channel of this key (\(live.id)) is live with its root on unit \(live.root.unit); publish to that unit, or end the channel first"))
            }
            log("publisherReturned", unit: unit, channel: live.id, group: live.root.group, "the publisher of channel \(live.id) came back")
            return .success((live.id, live.root))
        }
        guard let record = units[unit], record.takesWork, let group = record.firstFreeGroup else {
            return .failure(ControlError(.noRoom, "unit \(unit) has no free group (or drains); publish to another unit"))
        }
        let root = GroupLocation(unit: unit, group: group)
        var channel = ChannelRecord(id: 0, root: root, startedAtMilliseconds: wallClock(), title: key.title,
            broadcasterName: ChatText.clean(publisher, maxBytes: OpenChannelRequest.maxNameLength) ?? "publisher")
        channel.videoCodec = .h264
        channel.streamKey = key.id
        return .success((create(channel, now: now), root))
    }

    /// Numbers a new channel, records it and places its root group.
    private mutating func create(_ template: ChannelRecord, now: ContinuousClock.Instant) -> ChannelID {
        while channels[ChannelID(nextChannel)] != nil || nextChannel == 0 { nextChannel &+= 1 }
        let channel = ChannelID(nextChannel)
        nextChannel &+= 1
        closedChannels[channel] = nil
        var record = template
        record.id = channel
        record.secretNonce = .random(in: 1 ... .max)
        record.broadcasterAbsentSince = now
        channels[channel] = record
        place(channel, at: record.root, parent: nil, now: now)
        log("channelOpened", unit: record.root.unit, channel: channel, group: record.root.group, "channel \(channel) opened with root group \(record.root)")
        return channel
    }

    /// Records a new group and tells its unit; across units the child opens a relay link.
    package mutating func place(_ channel: ChannelID, at location: GroupLocation, parent: GroupLocation?, now: ContinuousClock.Instant) {
        units.storeGroup(GroupRecord(channel: channel, parent: parent, emptySince: now, placedAt: now), at: location)
        if treeLevels[channel]?.placed(location, under: parent) == false { treeLevels[channel] = nil }
        tellParent(channel, at: location, parent: parent)
    }

    /// Moves a group under another parent, its viewers and promised places kept, and tells its
    /// unit. It takes its subtree along, so the channel's levels are built again (a failure
    /// moves them itself).
    package mutating func reparent(_ channel: ChannelID, at location: GroupLocation, parent: GroupLocation) {
        guard group(at: location)?.channel == channel else { return }
        units.storeParent(parent, at: location)
        treeLevels[channel] = nil
        tellParent(channel, at: location, parent: parent)
    }

    /// The command that gives a group its parent: across units the child opens a relay link.
    private mutating func tellParent(_ channel: ChannelID, at location: GroupLocation, parent: GroupLocation?) {
        if let parent, parent.unit != location.unit, let parentAddress = units[parent.unit]?.address {
            let ticket = ticket(.relay, channel: channel, at: parent, lifetime: settings.relayTicketLifetime)
            actions.append(.command(location.unit, .openRelayLink(group: location.group, channel: channel, parent: parentAddress, parentGroup: parent.group, ticket: ticket)))
        } else {
            let info = parent == nil ? channels[channel]?.info : nil
            actions.append(.command(location.unit, .assignGroup(location.group, channel: channel, parent: parent, info: info)))
        }
    }

    /// Gives a viewer a place: a group of the channel with room, on the least-loaded unit; then
    /// expands the channel when it runs short of places. `nonce` is its ticket's: the unit's
    /// report names it once the viewer is there, so the place is counted once.
    package mutating func join(_ channel: ChannelID, nonce: UInt64 = .random(in: .min ... .max), now: ContinuousClock.Instant) -> Result<GroupLocation, ControlError> {
        guard channels[channel] != nil else {
            return .failure(ControlError(.unknownChannel, "channel \(channel) is not live; check the channel number"))
        }
        var location = placeForViewer(in: channel, now: now)
        if location == nil {
            _ = expand(channel, from: nil, now: now)
            location = placeForViewer(in: channel, now: now)
        }
        guard let location else {
            return .failure(ControlError(.noRoom, "channel \(channel) is full and no unit has a free group; try again later"))
        }
        units.promise(nonce, at: location, channel: channel, now: now)
        if freePlaces(of: channel, now: now) < settings.expansionThreshold {
            _ = expand(channel, from: location, now: now)
        }
        noteViewers(of: channel, at: now)
        return .success(location)
    }

    /// The lowest open group of the channel on the least-loaded unit that has one.
    private mutating func placeForViewer(in channel: ChannelID, now: ContinuousClock.Instant) -> GroupLocation? {
        guard let places = units.placement(at: now).places(of: channel), let unit = places.openUnits.min, let group = places.openGroups[unit]?.first else { return nil }
        return GroupLocation(unit: unit, group: group)
    }

    package func freePlaces(of channel: ChannelID, now: ContinuousClock.Instant) -> Int { units.freePlaces(of: channel, at: now) }

    /// Paper 3.1: link an empty group in the same unit as the group that filled; when that unit
    /// has none, an empty group on the least-loaded other unit, fed over a relay link from the
    /// group nearest the root with fan-out to spare (`relayParent`).
    package mutating func expand(_ channel: ChannelID, from filled: GroupLocation?, now: ContinuousClock.Instant) -> GroupLocation? {
        guard let record = channels[channel] else { return nil }
        var parent = filled ?? record.root
        let location: GroupLocation
        if let unit = units[parent.unit], unit.takesWork, let group = unit.firstFreeGroup {
            location = GroupLocation(unit: unit.id, group: group)
        } else if let id = units.placement(at: now).unitsWithFreeGroups.min(excluding: parent.unit), let unit = units[id], let group = unit.firstFreeGroup {
            location = GroupLocation(unit: unit.id, group: group)
            parent = relayParent(for: channel) ?? parent
        } else {
            log("expansionFailed", channel: channel, "channel \(channel) needs room but no unit has a free group")
            return nil
        }
        place(channel, at: location, parent: parent, now: now)
        log("channelExpanded", unit: location.unit, channel: channel, group: location.group, "group \(location) linked under \(parent)")
        return location
    }

    /// Frees one empty leaf group of the channel that has stayed empty past the grace period
    /// (or any empty leaf, when the admin forces it). Leaf-first keeps the tree connected. Only
    /// the channel's empty groups are looked at (the index keeps them, and who feeds whom).
    @discardableResult
    package mutating func shrink(_ channel: ChannelID, now: ContinuousClock.Instant, force: Bool) -> GroupLocation? {
        guard let places = units.placement(at: now).places(of: channel), !places.emptyGroups.isEmpty else { return nil }
        let leaf = places.emptyGroups.sorted { ($0.unit, $0.group) < ($1.unit, $1.group) }.first { location in
            guard let record = group(at: location), record.parent != nil, places.children[location, default: 0] == 0,
                record.occupancy(at: now) == 0, !record.broadcasterHere, let since = record.emptySince
            else { return false }
            return force || now - since > settings.shrinkGrace
        }
        guard let leaf else { return nil }
        let parent = group(at: leaf)?.parent
        treeLevels[channel]?.freed(leaf, under: parent)
        units.removeGroup(at: leaf)
        actions.append(.command(leaf.unit, .freeGroup(leaf.group)))
        log("channelShrunk", unit: leaf.unit, channel: channel, group: leaf.group, "empty leaf group \(leaf) freed")
        return leaf
    }

    /// Closes a channel: every group freed.
    package mutating func close(_ channel: ChannelID, now: ContinuousClock.Instant) -> ControlError? {
        guard channels[channel] != nil else { return ControlError(.unknownChannel, "channel \(channel) is not live") }
        closedChannels[channel] = now
        for group in units.groups(of: channel, now: now) {
            units.removeGroup(at: group.location)
            actions.append(.command(group.location.unit, .freeGroup(group.location.group)))
        }
        channels[channel] = nil
        treeLevels[channel] = nil
        log("channelClosed", channel: channel, "channel \(channel) closed")
        return nil
    }

    /// Closes the channels whose broadcaster has been away for the grace period: a shorter one
    /// for a broadcaster that never came (an open nobody used holds a place for nobody), the
    /// full one for a broadcaster that left and may come back.
    package mutating func closeAbandoned(now: ContinuousClock.Instant) {
        for id in channels.keys.sorted() {
            if (units.placement(at: now).places(of: id)?.broadcasters ?? 0) > 0 {
                channels[id]!.broadcasterAbsentSince = nil
                channels[id]!.broadcasterCame = true
                continue
            }
            let since = channels[id]!.broadcasterAbsentSince ?? now
            channels[id]!.broadcasterAbsentSince = since
            let grace = channels[id]!.broadcasterCame ? settings.broadcasterGrace : min(settings.broadcasterGrace, settings.unusedOpenGrace)
            guard now - since > grace else { continue }
            let why = channels[id]!.broadcasterCame ? "no broadcaster for \(grace)" : "its broadcaster never came within \(grace)"
            log("channelAbandoned", channel: id, "channel \(id) closed: \(why)")
            _ = close(id, now: now)
        }
    }

    /// The broadcaster's place: its channel's root group (after a failure, the new root).
    package func broadcasterPlace(_ channel: ChannelID, secret: String) -> Result<GroupLocation, ControlError> {
        guard let record = channels[channel] else {
            return .failure(ControlError(.unknownChannel, "channel \(channel) is not live; open a new channel"))
        }
        guard checkSecret(secret, of: channel) else {
            return .failure(ControlError(.notAllowed, "wrong secret for channel \(channel); use the secret printed when it was opened"))
        }
        return .success(record.root)
    }
}
