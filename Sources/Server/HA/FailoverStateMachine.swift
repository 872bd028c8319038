import Wire

/// Who is the primary CSM (DESIGN.md, control plane: HA). Pure: every input says what time it
/// is, every decision comes back as actions. The backup takes over only when a majority of live
/// units confirm they lost the primary, so a cut link between the two CSMs alone never makes two
/// primaries. It asks them when the primary has been silent for the failure timeout, and, while it
/// still hears the primary, once every failure timeout anyway: a primary cut off from the units
/// but not from its backup must be replaced too (it demotes on the backup's next heartbeat).
/// With no live units, silence alone decides. Every takeover raises the epoch; a CSM that sees a
/// higher epoch than its own becomes the backup.
struct FailoverStateMachine: Sendable {
    enum Role: String, Sendable, Codable { case primary, backup }

    enum Action: Equatable, Sendable {
        /// Ask every live unit whether it lost the primary too.
        case askUnits(epoch: UInt64)
        case promoted(epoch: UInt64)
        case demoted(epoch: UInt64, reason: String)
    }

    let failureTimeout: Duration
    private(set) var role: Role
    private(set) var epoch: UInt64
    private var lastPeerHeard: ContinuousClock.Instant
    /// A confirmation round in progress: when it began and which units answered "lost".
    private var round: (startedAt: ContinuousClock.Instant, lost: Set<UnitID>, answered: Set<UnitID>)?
    private var lastRound: ContinuousClock.Instant?
    /// No round before a failure timeout has passed since start: the peer and the units need
    /// that long to be heard at all.
    private let startedAt: ContinuousClock.Instant

    init(role: Role, epoch: UInt64, failureTimeout: Duration, now: ContinuousClock.Instant) {
        self.role = role
        self.epoch = epoch
        self.failureTimeout = failureTimeout
        lastPeerHeard = now
        startedAt = now
    }

    /// The peer's heartbeat. A primary of a higher epoch wins; between two primaries of one epoch
    /// (which epochs prevent, but a bad start could cause) the lower name stays.
    mutating func peerHeartbeat(_ heartbeat: Heartbeat, ownName: String, now: ContinuousClock.Instant) -> [Action] {
        lastPeerHeard = now
        var actions: [Action] = []
        if heartbeat.role == .primary {
            let peerWins = heartbeat.epoch > epoch || (heartbeat.epoch == epoch && heartbeat.csm < ownName)
            if role == .primary && peerWins {
                role = .backup
                actions.append(.demoted(epoch: heartbeat.epoch, reason: "the peer \(heartbeat.csm) is primary at epoch \(heartbeat.epoch)"))
            }
        }
        epoch = max(epoch, heartbeat.epoch)
        return actions
    }

    /// A unit reported or announced the highest epoch it has seen.
    mutating func unitSaw(epoch seen: UInt64) -> [Action] {
        guard seen > epoch else { return [] }
        epoch = seen
        guard role == .primary else { return [] }
        role = .backup
        return [.demoted(epoch: seen, reason: "a unit has seen epoch \(seen); another CSM took over")]
    }

    /// A unit's answer to `askUnits`.
    mutating func unitAnswered(_ unit: UnitID, lostPrimary: Bool) {
        guard round != nil else { return }
        round!.answered.insert(unit)
        if lostPrimary { round!.lost.insert(unit) }
    }

    /// Every heartbeat interval. `liveUnits`: the units this CSM hears from now.
    mutating func tick(now: ContinuousClock.Instant, liveUnits: Set<UnitID>) -> [Action] {
        guard role == .backup, now - startedAt > failureTimeout else { return [] }
        let peerSilent = now - lastPeerHeard > failureTimeout
        // Answers to a round begun while the primary was still heard are stale once it is silent.
        if peerSilent, let current = round, current.startedAt <= lastPeerHeard { round = nil }
        if let current = round {
            let lost = current.lost.intersection(liveUnits).count
            if (liveUnits.isEmpty && peerSilent) || (!liveUnits.isEmpty && lost * 2 > liveUnits.count) {
                round = nil
                role = .primary
                epoch += 1
                return [.promoted(epoch: epoch)]
            }
            guard now - current.startedAt > failureTimeout else { return [] }
        } else if !peerSilent, let last = lastRound, now - last < failureTimeout {
            return []
        }
        lastRound = now
        round = (now, [], [])
        return [.askUnits(epoch: epoch)]
    }
}
