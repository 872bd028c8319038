import Wire

extension Unit {
    /// Carries out a CSM command; nil when done, or the error to send back.
    func execute(_ action: UnitAction) -> ControlError? {
        switch action {
        case .assignGroup(let group, let channel, let parent, let info):
            guard let index = slotIndex(group) else { return unknown(group) }
            if let owner = groups[index].channel, owner != channel {
                return ControlError(.notAllowed, "group \(group) already serves channel \(owner); free it first")
            }
            admission.channelPlaced(channel)
            let local = assign(index, to: channel, root: parent == nil, parent: parent)
            if let info { local.info = info }
            groups[index].parent = parent
            closeParentLinkIfUnused(channel)
        case .freeGroup(let group):
            guard let index = slotIndex(group) else { return unknown(group) }
            free(index, reason: "the cluster manager freed group \(group)")
        case .openRelayLink(let group, let channelID, let parent, let parentGroup, let ticket):
            guard let index = slotIndex(group) else { return unknown(group) }
            if let owner = groups[index].channel, owner != channelID {
                return ControlError(.notAllowed, "group \(group) already serves channel \(owner); free it first")
            }
            admission.channelPlaced(channelID)
            let channel = assign(index, to: channelID, root: false, parent: GroupLocation(unit: parent.unit, group: parentGroup))
            // The channel's groups here share one feed, so one working link feeds them all: keep
            // it while it is up and some group still names its parent, rather than cut the
            // stream to switch upstream.
            let current = channel.parentLink
            let stillNeeded = current.map { link in
                slots(of: channelID).contains { groups[$0].parent == GroupLocation(unit: link.parent.unit, group: link.parentGroup) }
            } ?? false
            if current == nil || !(current!.isUp && stillNeeded) {
                channel.parentLink?.close()
                let link = RelayLink(unit: self, channel: channelID, parent: parent, parentGroup: parentGroup, ticket: ticket)
                channel.parentLink = link
                link.start()
            }
        case .drain(let on):
            control.draining = on
            record(.drainChanged, "unit \(configuration.unit) \(on ? "drains: no new work" : "takes new work again")")
        }
        return nil
    }

    /// A channel fed inside this unit (its parents are all local) needs no relay link.
    func closeParentLinkIfUnused(_ channelID: ChannelID) {
        guard let channel = channels[channelID], channel.parentLink != nil else { return }
        let unit = configuration.unit
        let remoteParent = slots(of: channelID).contains { groups[$0].parent.map { $0.unit != unit } ?? false }
        if !remoteParent {
            channel.parentLink?.close()
            channel.parentLink = nil
        }
    }

    private func unknown(_ group: GroupID) -> ControlError {
        ControlError(.unknownGroup, "unit \(configuration.unit) has groups 1...\(groups.count), not \(group)")
    }
}
