import Wire

/// The unit's side of the control plane (docs/HA.md): the key it speaks with on its links, the
/// lease that says which CSM it obeys at which epoch, its links to the CSMs, the events waiting
/// for the next heartbeat, and whether a CSM told it to drain.
struct UnitControl {
    /// Events kept for the CSMs while none hears them: the newest this many.
    static let maxPendingEvents = 10_000

    /// This unit's own link key: it speaks for this unit and no other.
    let linkKey: LinkKey
    var lease: UnitLease
    var links: [CSMLink] = []
    /// Events not yet sent to the CSMs.
    private(set) var pendingEvents: [UnitEvent] = []
    /// Takes no new work: no ticket opens a free group here.
    var draining = false
    /// Publishers waiting for the CSM to place their channel, by request number.
    private var publishRequests: [UInt64: (Result<(ChannelID, GroupID), ControlError>) -> Void] = [:]
    private var nextRequest: UInt64 = 1

    init(linkKey: LinkKey, lease: UnitLease) {
        self.linkKey = linkKey
        self.lease = lease
    }

    mutating func queue(_ event: UnitEvent) {
        pendingEvents.append(event)
        if pendingEvents.count > Self.maxPendingEvents { pendingEvents.removeFirst(pendingEvents.count - Self.maxPendingEvents) }
    }

    /// Asks the CSM this unit obeys to open (or resume) a stream key's channel rooted here:
    /// the request's number, its answer to be run through `takePublishRequest`.
    mutating func requestPublish(
        streamKey: String, publisher: String, answered: @escaping (Result<(ChannelID, GroupID), ControlError>) -> Void
    ) -> Result<UInt64, ControlError> {
        guard let owner = lease.owner, let link = links.first(where: { $0.csmName == owner && $0.isConnected }) else {
            return .failure(ControlError(.notPrimary, "this unit hears no primary CSM at the moment; publish again in a few seconds"))
        }
        let id = nextRequest
        nextRequest += 1
        publishRequests[id] = answered
        link.write(.publish(id: id, streamKey: streamKey, publisher: publisher))
        return .success(id)
    }

    /// Who waits for the answer to request `id` (nil when that publisher is gone or was
    /// answered); called once out of this value, since the answer changes the unit.
    mutating func takePublishRequest(_ id: UInt64) -> ((Result<(ChannelID, GroupID), ControlError>) -> Void)? {
        publishRequests.removeValue(forKey: id)
    }

    /// The events for this heartbeat's reports; none are kept.
    mutating func takeEvents() -> [UnitEvent] {
        defer { pendingEvents.removeAll() }
        return pendingEvents
    }
}
