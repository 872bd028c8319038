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

    init(linkKey: LinkKey, lease: UnitLease) {
        self.linkKey = linkKey
        self.lease = lease
    }

    mutating func queue(_ event: UnitEvent) {
        pendingEvents.append(event)
        if pendingEvents.count > Self.maxPendingEvents { pendingEvents.removeFirst(pendingEvents.count - Self.maxPendingEvents) }
    }

    /// The events for this heartbeat's reports; none are kept.
    mutating func takeEvents() -> [UnitEvent] {
        defer { pendingEvents.removeAll() }
        return pendingEvents
    }
}
