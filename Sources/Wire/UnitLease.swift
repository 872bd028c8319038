/// Which CSM a unit obeys (docs/HA.md). Pure: every input says what time it is. A CSM is primary
/// only while a majority of the cluster's units hold a lease for it; a unit grants one lease at a
/// time, each epoch to one CSM only, and obeys the commands of its lease's owner at that epoch
/// alone, so at most one CSM is obeyed by a majority in any epoch and at any moment.
public struct UnitLease: Sendable {
    /// Why a lease was refused, said back to the CSM that asked.
    public enum Refusal: Error, Equatable, Sendable {
        /// The unit started less than a longest lease ago: one its earlier run granted may still be live.
        case starting
        /// The CSM asked at an epoch below the unit's.
        case staleEpoch(UInt64)
        /// Another CSM holds the lease, or was granted this epoch.
        case heldBy(String, epoch: UInt64)
        /// The epoch is above `WireLimits.usableEpochs`: granting it could leave no higher one.
        case unusableEpoch(UInt64)
    }

    /// The longest lease this unit grants.
    public let longest: Duration
    /// No lease before this: the unit's earlier run may have granted one that still runs.
    private let grantsFrom: ContinuousClock.Instant
    /// The highest epoch granted; never goes down.
    public private(set) var epoch: UInt64 = 0
    /// The CSM granted `epoch`, and until when its lease runs.
    public private(set) var owner: String?
    private var until: ContinuousClock.Instant

    /// `startGuard`: how long after start no lease is granted; a longest lease unless this unit
    /// is known never to have run before.
    public init(longest: Duration, startGuard: Duration? = nil, now: ContinuousClock.Instant) {
        self.longest = longest
        grantsFrom = now + (startGuard ?? longest)
        until = now
    }

    /// A CSM asks for a lease at `epoch` for `duration`: the lease granted (at most `longest`), or why not.
    public mutating func request(from csm: String, epoch asked: UInt64, for duration: Duration, now: ContinuousClock.Instant) -> Result<Duration, Refusal> {
        guard now >= grantsFrom else { return .failure(.starting) }
        guard WireLimits.usableEpochs.contains(asked) else { return .failure(.unusableEpoch(asked)) }
        guard asked >= epoch else { return .failure(.staleEpoch(epoch)) }
        if let owner, owner != csm, asked == epoch || now < until { return .failure(.heldBy(owner, epoch: epoch)) }
        let granted = min(duration, longest)
        epoch = asked
        owner = csm
        until = now + granted
        return .success(granted)
    }

    /// Whether a command of `epoch` from `csm` is obeyed: only its lease's owner, at the lease's epoch.
    public func obeys(_ csm: String, epoch commanded: UInt64) -> Bool {
        owner == csm && commanded == epoch
    }

    /// Whether some CSM's lease is running now.
    public func isHeld(at now: ContinuousClock.Instant) -> Bool {
        owner != nil && now < until
    }
}
