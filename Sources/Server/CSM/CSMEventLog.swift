import ClusterLogic
import Wire

/// The CSM's event log on its way to the store: its own decisions and the units' events, each
/// unit held to two budgets (what its clients cause, and its own work), and when the store is
/// pruned (`LogRetention`). The CSM does the writing: a store's calls suspend, this does not.
struct CSMEventLog {
    let retention: LogRetention
    private var pending: [ClusterLogEntry] = []
    private var budget: RequestRateLimiter
    private var dropped: [UnitID: Int] = [:]
    private var lastPrune: ContinuousClock.Instant

    init(retention: LogRetention, unitEventsPerSecond: Double, now: ContinuousClock.Instant) {
        self.retention = retention
        budget = RequestRateLimiter(burst: Int(unitEventsPerSecond * 10), perSecond: unitEventsPerSecond)
        lastPrune = now
    }

    mutating func append(_ entry: ClusterLogEntry) {
        pending.append(entry)
    }

    /// A unit's event, unless the unit is over its budget (then it only counts as dropped).
    mutating func admit(_ event: UnitEvent, now: ContinuousClock.Instant) {
        guard budget.admit("\(event.unit) \(event.kind.isCausedByClients ? "clients" : "unit")", now: now) == nil else {
            dropped[event.unit, default: 0] += 1
            return
        }
        pending.append(ClusterLogEntry(
            unit: event.unit, timeMilliseconds: event.timeMilliseconds, kind: event.kind.rawValue, channel: event.channel,
            group: event.group, details: event.details))
    }

    /// How many events each unit had dropped since the last call.
    mutating func takeDropped() -> [UnitID: Int] {
        defer { dropped.removeAll() }
        return dropped
    }

    /// The entries to write to the store now, in order.
    mutating func takePending() -> [ClusterLogEntry] {
        defer { pending.removeAll() }
        return pending
    }

    /// Whether the store is due a pruning (once every `LogRetention.interval`); if so, from now.
    mutating func pruneIsDue(now: ContinuousClock.Instant) -> Bool {
        guard now - lastPrune > LogRetention.interval else { return false }
        lastPrune = now
        return true
    }
}
