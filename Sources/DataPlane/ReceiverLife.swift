import NIOCore
import Wire

/// A session's media life on a unit, from its open to its close (docs/ARCHITECTURE.md): its mode,
/// whether it has a proven UDP address, where it waits to resume, and whether its channel's
/// fan-out holds it. Pure: each input returns what the unit must do, in order; the unit applies
/// the actions in one place (`Unit.apply`). Which address is proven is `UDPBindings`'s alone,
/// and a TCP receiver's cursor is the router's; this type knows only that there is one.
package struct ReceiverLife: Sendable {
    package enum Stage: Equatable, Sendable {
        /// Not in the fan-out: not open yet, a broadcaster, or in UDP mode without an address.
        case idle
        /// Waiting for the feed here to reach where it left off (the router holds the wait).
        case awaitingFeed
        /// In its channel's fan-out.
        case receiving
        case closed
    }

    /// Events for the CSMs' log, each with the counter it moves.
    package enum Note: Equatable, Sendable {
        case modeSwitched(String)
        case resumed(String)
        case resumePastTheFeed(String)
        case overrun(String)
    }

    package enum Action: Equatable, Sendable {
        /// Into the fan-out in `mode`: after `resume` when it is set (the router says whether the
        /// feed reaches back to it), else as a new receiver.
        case start(MediaMode)
        /// Out of the fan-out: either list, and any wait to resume.
        case leave
        /// Out of the UDP list only (its address went silent).
        case leaveUDP
        /// From TCP into the UDP list, at once; at the next keyframe unless its video flows.
        case joinUDP(awaitingKeyframe: Bool)
        /// The proven address is no more this session's.
        case forgetAddress
        case tell(SessionMessage)
        case requestKeyframe(String)
        case note(Note)
    }

    package private(set) var mode: MediaMode = .udp
    package private(set) var stage: Stage = .idle
    /// Where it left off on another unit, until its media starts after it (once).
    package private(set) var resume: ResumePoint?
    /// Viewers and relay links receive media; a broadcaster's mode only says how it sends.
    package private(set) var receives = false
    private(set) var hasAddress = false
    private var name = ""

    package init() {}

    /// The session opened. A session over WebSocket has no UDP socket: it is in TCP mode from the start.
    package mutating func opened(name: String, receives: Bool, resume: ResumePoint?, overWebSocket: Bool) -> [Action] {
        self.name = name
        self.receives = receives
        self.resume = receives ? resume : nil
        return overWebSocket ? modeRequested(.tcp, reason: "a session over WebSocket is always in TCP mode", videoFlowing: false) : []
    }

    /// A bind proved the session's UDP address; `moved`: a new one (else a keepalive renewed it).
    package mutating func bound(moved: Bool) -> [Action] {
        hasAddress = true
        guard moved, receives, mode == .udp, stage != .closed else { return [] }
        return [.start(.udp)]
    }

    /// The UDP address sent no keepalive for `timeout`: no more media to it.
    package mutating func addressSilent(_ address: String, for timeout: Duration) -> [Action] {
        hasAddress = false
        if mode == .udp, stage == .receiving || stage == .awaitingFeed { stage = .idle }
        return [.leaveUDP, .note(.modeSwitched("UDP address \(address) silent for \(timeout): no more UDP media"))]
    }

    /// The client asks for `mode`, any number of times, at any time. `videoFlowing`: its TCP
    /// cursor sends video now (moving to UDP, it then need not wait for a keyframe).
    package mutating func modeRequested(_ mode: MediaMode, reason: String, videoFlowing: Bool) -> [Action] {
        guard self.mode != mode else { return [.tell(.modeChanged(mode, reason: "already in \(mode) mode"))] }
        if mode == .udp && !hasAddress {
            return [.tell(.error(ControlError(.notAllowed, "UDP mode needs a bind from your UDP socket first; send a bind request")))]
        }
        self.mode = mode
        var actions: [Action] = []
        if receives && stage != .closed {
            // Out of the old mode's list; a receiver still waiting to resume waits again in the new one.
            actions.append(.leave)
            stage = .idle
            if mode == .udp {
                if resume != nil {
                    actions.append(.start(.udp))
                } else {
                    stage = .receiving
                    actions.append(.joinUDP(awaitingKeyframe: !videoFlowing))
                }
            }
        }
        actions += [.tell(.modeChanged(mode, reason: reason)), .note(.modeSwitched("\(mode) mode: \(reason)"))]
        if mode == .tcp && receives && stage != .closed { actions.append(.start(.tcp)) }
        return actions
    }

    /// What the router said of a `.start` with a resume point: the feed here does not reach it yet.
    package mutating func waitsForFeed() {
        stage = .awaitingFeed
    }

    /// It resumes after where it left off, `lag` packets behind live.
    package mutating func resumed(lag: UInt64) -> [Action] {
        resume = nil
        stage = .receiving
        return [.note(.resumed("\(name) resumes where it left off, \(lag) packets behind live"))]
    }

    /// The feed no longer reaches back to where it left off: it starts as a new receiver does.
    package mutating func resumePastTheFeed(feedPackets: Int) -> [Action] {
        resume = nil
        stage = .receiving
        return [.note(.resumePastTheFeed("\(name) was away longer than the feed holds (\(feedPackets) packets): it starts at a keyframe"))]
    }

    /// It started as a new receiver (no resume point).
    package mutating func startedFresh() {
        stage = .receiving
    }

    /// Its wait to resume is over: the feed reached where it left off, or did not within `longest`.
    package mutating func feedWaitEnded(timedOut: Bool, longest: TimeAmount) -> [Action] {
        guard stage != .closed else { return [] }
        var actions: [Action] = []
        if timedOut {
            resume = nil
            actions.append(.note(.resumePastTheFeed("the feed here did not reach where \(name) left off within \(longest): it starts at a keyframe")))
        }
        return actions + [.start(mode)]
    }

    /// Its TCP cursor's lag policy changed what it gets.
    package func lagged(_ notice: FeedCursor.Notice) -> [Action] {
        switch notice {
        case .videoSkipped(let lag):
            let reason = "\(lag) packets behind live: audio only until caught up"
            return [.tell(.videoSkipped(true, reason: reason)), .note(.modeSwitched(reason))]
        case .videoResuming:
            let reason = "caught up: video resumes at the next keyframe"
            return [.tell(.videoSkipped(false, reason: reason)), .note(.modeSwitched(reason)), .requestKeyframe("a TCP viewer caught up")]
        case .overrun(let skipped):
            return [.note(.overrun("overrun: jumped \(skipped) packets forward"))]
        }
    }

    /// The session closed, for whatever reason.
    package mutating func closed() -> [Action] {
        guard stage != .closed else { return [] }
        stage = .closed
        hasAddress = false
        return [.leave, .forgetAddress]
    }
}
