import Wire

extension ClusterState {
    /// A unit introduces itself (first connection, or again after a reconnect).
    package mutating func announce(_ announcement: UnitAnnouncement, now: ContinuousClock.Instant) -> ControlError? {
        let id = announcement.address.unit
        if let existing = units[id] {
            if existing.address != announcement.address && now - existing.lastHeard < settings.failureTimeout {
                log("unitRefused", unit: id, "a second unit announced id \(id) from \(announcement.address.host):\(announcement.address.sessionPort); \(existing.address) still has it")
                return ControlError(.notAllowed, "unit id \(id) is in use by \(existing.address); give this unit another --id")
            }
            units[id]?.announcement = announcement
            units[id]?.lastHeard = now
            units[id]?.linkDown = false
            return nil
        }
        units[id] = UnitRecord(announcement: announcement, lastHeard: now, load: UnitLoad(viewers: 0, bytesPerSecond: 0, freeGroups: announcement.groupsPerUnit))
        log("unitJoined", unit: id, "\(announcement.address) joined with \(announcement.groupsPerUnit) groups of \(announcement.groupCapacity)")
        return nil
    }

    /// A unit's heartbeat report: the truth about its groups. Groups the CSM placed but the unit
    /// does not list yet are kept for a failure timeout (the command may still be on its way);
    /// groups the CSM did not know are adopted, which is how a new CSM rebuilds its view.
    package mutating func report(_ report: UnitReport, now: ContinuousClock.Instant) {
        guard var unit = units[report.unit] else { return }
        let outside = report.groups.filter { Int($0.group.rawValue) > unit.announcement.groupsPerUnit || $0.viewers > unit.capacity }
        if !outside.isEmpty {
            log("reportRefused", unit: report.unit, "unit \(report.unit) reported \(outside.count) groups beyond its \(unit.announcement.groupsPerUnit) groups of \(unit.capacity); report ignored")
            return
        }
        unit.lastHeard = now
        unit.load = report.load
        unit.draining = report.draining
        let overloaded = (report.load.loopDelayMilliseconds ?? 0) > settings.maxUnitLoopDelay.wholeMilliseconds
        if overloaded != unit.overloaded {
            unit.overloaded = overloaded
            log(overloaded ? "unitOverloaded" : "unitCaughtUp", unit: report.unit,
                overloaded ? "unit \(report.unit) runs \(report.load.loopDelayMilliseconds ?? 0) ms late: no new work until it catches up" : "unit \(report.unit) caught up: it takes new work again")
        }
        let listed = Set(report.groups.map(\.group))
        // A group the unit listed before and lists no more is gone; one the CSM just placed may
        // not have reached the unit yet.
        for (id, record) in unit.groups where !listed.contains(id) && (record.lastReport != nil || now - record.placedAt > settings.failureTimeout) {
            unit.groups[id] = nil
            treeLevels[record.channel] = nil
        }
        for reported in report.groups {
            if let closed = closedChannels[reported.channel], now - closed < closedChannelMemory {
                // Closed while this report was on its way: free the group again, do not adopt it.
                unit.groups[reported.group] = nil
                actions.append(.command(report.unit, .freeGroup(reported.group)))
                continue
            }
            var record = unit.groups[reported.group]
            if record?.channel != reported.channel, let known = channels[reported.channel],
                hasOwnView || (reported.parent == nil && known.root != GroupLocation(unit: report.unit, group: reported.group))
            {
                // A group the CSM never placed, of a channel it knows: a stale report, or a unit
                // that lies to draw the channel's viewers. Free it; never a second root.
                unit.groups[reported.group] = nil
                actions.append(.command(report.unit, .freeGroup(reported.group)))
                log("reportRefused", unit: report.unit, channel: reported.channel, group: reported.group,
                    "unit \(report.unit) reported group \(reported.group) of channel \(reported.channel), which was never placed there: freed")
                continue
            }
            if record?.channel != reported.channel {
                record = GroupRecord(channel: reported.channel, parent: reported.parent, placedAt: now)
                treeLevels[reported.channel] = nil
            }
            if record!.parent != reported.parent { treeLevels[reported.channel] = nil }
            record!.parent = reported.parent
            record!.reportedViewers = reported.viewers
            record!.broadcasterHere = reported.broadcasterHere
            record!.publisher = reported.publisher
            record!.lastReport = now
            let opened = Set(reported.openedTickets ?? [])
            record!.pendingJoins.removeAll { $0.issued <= now - GroupRecord.joinGrace || opened.contains($0.nonce) }
            let empty = record!.occupancy(at: now) == 0 && !reported.broadcasterHere
            record!.emptySince = empty ? (record!.emptySince ?? now) : nil
            unit.groups[reported.group] = record
            if channels[reported.channel] == nil, reported.parent == nil {
                channels[reported.channel] = ChannelRecord(
                    id: reported.channel, root: GroupLocation(unit: report.unit, group: reported.group),
                    startedAtMilliseconds: report.sentAtMilliseconds)
                nextChannel = max(nextChannel, reported.channel.rawValue &+ 1)
            }
            // A channel learnt from reports (on a backup, or after a restart) takes the root's word for what it is.
            if let info = reported.info, reported.parent == nil, channels[reported.channel]?.secretNonce == 0 {
                channels[reported.channel]!.title = ChatText.clean(info.title, maxBytes: OpenChannelRequest.maxTitleLength) ?? ""
                channels[reported.channel]!.broadcasterName = ChatText.clean(info.broadcasterName, maxBytes: OpenChannelRequest.maxNameLength) ?? ""
                channels[reported.channel]!.startedAtMilliseconds = info.startedAtMilliseconds
                channels[reported.channel]!.secretNonce = info.secretNonce
                channels[reported.channel]!.videoCodec = info.videoCodec
                channels[reported.channel]!.streamKey = info.streamKey
            }
        }
        units[report.unit] = unit
        for channel in Set(report.groups.map(\.channel)) { noteViewers(of: channel, at: now) }
    }

    package mutating func noteViewers(of channel: ChannelID, at now: ContinuousClock.Instant) {
        guard channels[channel] != nil else { return }
        let viewers = units.placement(at: now).places(of: channel)?.viewers ?? 0
        channels[channel]!.maxViewers = max(channels[channel]!.maxViewers, viewers)
    }

    /// Every heartbeat of the CSM: silent units fail, long-empty leaf groups are freed.
    package mutating func tick(now: ContinuousClock.Instant) {
        closedChannels = closedChannels.filter { now - $0.value < closedChannelMemory }
        for unit in units.values where now - unit.lastHeard > settings.failureTimeout {
            fail(unit.id, now: now, reason: "silent for \(now - unit.lastHeard)")
        }
        let shrinkable = units.placement(at: now).channels.compactMap { $0.value.emptyGroups.isEmpty ? nil : $0.key }.sorted()
        for channel in shrinkable where channels[channel] != nil { _ = shrink(channel, now: now, force: false) }
        closeAbandoned(now: now)
    }

    /// A unit's control link closed: it may be dead. It gets no new work (so viewers re-joining
    /// from it are placed elsewhere at once) until it announces again or its failure timeout ends.
    package mutating func linkClosed(_ id: UnitID, now: ContinuousClock.Instant) {
        guard units[id] != nil, !units[id]!.linkDown else { return }
        units[id]!.linkDown = true
        log("unitUnreachable", unit: id, "control link to unit \(id) closed; no new work there until it is back")
        bypass(id, now: now)
    }

    /// Groups on other units fed by the unreachable one are re-parented at once to their nearest
    /// ancestor elsewhere, so their viewers lose a moment, not a failure timeout, if it is dead.
    package mutating func bypass(_ id: UnitID, now: ContinuousClock.Instant) {
        for channel in channels.keys.sorted() {
            let tree = tree(of: channel)
            for (location, record) in groups(of: channel) where location.unit != id {
                guard let parent = record.parent, parent.unit == id else { continue }
                var ancestor: GroupLocation? = parent
                while let current = ancestor, current.unit == id { ancestor = tree[current] ?? nil }
                guard let newParent = ancestor else { continue }  // the root is there: the broadcaster must move first
                reparent(channel, at: location, parent: newParent)
                log("groupReparented", unit: location.unit, channel: channel, group: location.group, "group \(location) now fed by \(newParent), bypassing unreachable unit \(id)")
            }
        }
    }

    /// The admin drains a unit: no new work there; its viewers stay.
    package mutating func drain(_ id: UnitID, _ on: Bool) -> ControlError? {
        guard units[id] != nil else { return ControlError(.notAllowed, "there is no unit \(id)") }
        units[id]!.draining = on
        actions.append(.command(id, .drain(on)))
        log("unitDrain", unit: id, on ? "unit \(id) drains" : "unit \(id) takes new work again")
        return nil
    }

    /// The admin removes a unit: as if it failed, its groups move elsewhere.
    /// Whether the unit granted this CSM its lease (it refuses commands otherwise).
    /// A unit whose lease this CSM does not hold yet (just connected, or just promoted without
    /// it): no work goes there until it grants one. Quiet: it is no refusal.
    package mutating func awaitLease(_ id: UnitID) {
        units[id]?.obeys = false
    }

    package mutating func setObeys(_ id: UnitID, _ obeys: Bool, holder: String? = nil) {
        guard units[id] != nil, units[id]!.obeys != obeys else { return }
        units[id]!.obeys = obeys
        let refusal = "unit \(id) refused this CSM its lease\(holder.map { " (it obeys \($0))" } ?? ""): no new work there"
        log(obeys ? "unitObeys" : "unitObeysAnother", unit: id, obeys ? "unit \(id) granted this CSM its lease" : refusal)
    }

    package mutating func remove(_ id: UnitID, now: ContinuousClock.Instant) -> ControlError? {
        guard units[id] != nil else { return ControlError(.notAllowed, "there is no unit \(id)") }
        for (group, _) in units[id]!.groups { actions.append(.command(id, .freeGroup(group))) }
        fail(id, now: now, reason: "removed by the admin")
        return nil
    }
}
