import Wire

/// The CSM's view of the cluster (docs/ARCHITECTURE.md): units, channels and group trees,
/// placement, expansion, shrinking and unit failure. Pure: no sockets, no clock of its own;
/// every call says what time it is and queues the commands and log lines it decides on in
/// `actions`, which the service carries out. It can be rebuilt from unit reports alone.
package struct ClusterState: Sendable {
    package var settings: ClusterSettings
    package let signer: TicketSigner
    /// Wall-clock milliseconds, for tickets and the log.
    package let wallClock: @Sendable () -> UInt64

    /// The units and the placement index over them (`UnitStore`).
    package var units: UnitStore
    /// Each channel's groups by relay hops, where new cross-unit groups find their parent; a
    /// channel without an entry has it built again when next asked.
    package var treeLevels: [ChannelID: TreeLevels] = [:]
    package var channels: [ChannelID: ChannelRecord] = [:]
    /// Channels closed lately: a unit report sent before its free-group command arrived, or a
    /// unit that let in a viewer whose ticket was taken while the channel was live, must not
    /// bring them back. Kept past the life of any client ticket.
    package var closedChannels: [ChannelID: ContinuousClock.Instant] = [:]
    package var closedChannelMemory: Duration { settings.ticketLifetime + .seconds(10) }
    package var nextChannel: UInt32 = 1
    /// Stream keys the portal or the admin revoked: a publisher with one is refused.
    package var revokedStreamKeys: Set<UInt64> = []
    /// The CSM has a view of its own (primary for a while, not just restarted): a report no longer
    /// adds a group to a channel it knows but never placed there. Until then reports are how it
    /// learns; a unit's own new channels it learns always.
    package var hasOwnView = false
    package var actions: [ClusterAction] = []

    /// `placement`: how units are weighed (the cluster's rule unless a test gives another).
    package init(
        settings: ClusterSettings, signer: TicketSigner, wallClock: @escaping @Sendable () -> UInt64,
        placement: any PlacementPolicy = LeastLoadedPlacement()
    ) {
        units = UnitStore(policy: placement)
        self.settings = settings
        self.signer = signer
        self.wallClock = wallClock
    }

    /// Takes the queued actions.
    package mutating func drainActions() -> [ClusterAction] {
        defer { actions.removeAll() }
        return actions
    }

    package mutating func log(_ kind: String, unit: UnitID? = nil, channel: ChannelID? = nil, group: GroupID? = nil, _ details: String) {
        actions.append(.log(ClusterLogEntry(unit: unit, timeMilliseconds: wallClock(), kind: kind, channel: channel, group: group, details: details)))
    }

    /// Units that take new work.
    package var activeUnits: some Sequence<UnitRecord> { units.values.lazy.filter(\.takesWork) }

    package func group(at location: GroupLocation) -> GroupRecord? { units.group(at: location) }

    /// Every group of a channel, wherever it is (`UnitStore.groups(of:)`).
    package func groups(of channel: ChannelID) -> [(location: GroupLocation, record: GroupRecord)] { units.groups(of: channel) }

    package func viewers(of channel: ChannelID, at now: ContinuousClock.Instant) -> Int { units.viewers(of: channel, at: now) }

    /// The tree as parent links (paper fig. 5): child to parent.
    package func tree(of channel: ChannelID) -> [GroupLocation: GroupLocation?] {
        Dictionary(uniqueKeysWithValues: groups(of: channel).map { ($0.location, $0.record.parent) })
    }

    package func ticket(_ role: TicketRole, channel: ChannelID, at location: GroupLocation, lifetime: Duration, nonce: UInt64 = .random(in: .min ... .max)) -> String {
        let milliseconds = lifetime.wholeMilliseconds
        return signer.sign(Ticket(
            channel: channel, group: location.group, role: role, unit: location.unit, expiresAtMilliseconds: wallClock() + milliseconds, nonce: nonce))
    }

    /// The secret that lets a channel's broadcaster close or resume it: derived with the cluster
    /// key from the channel's number and the nonce made at its open, so any CSM that has the
    /// root unit's reports (a backup, a restarted one) can check it, and no earlier channel's does.
    package func secret(of channel: ChannelID) -> String {
        signer.derivedSecret("channel \(channel) \(channels[channel]?.secretNonce ?? 0)")
    }

    package func checkSecret(_ secret: String, of channel: ChannelID) -> Bool {
        guard let nonce = channels[channel]?.secretNonce, nonce != 0 else { return false }
        return signer.checkDerivedSecret(secret, "channel \(channel) \(nonce)")
    }
}
