import Wire

/// A viewer's place in a channel feed, and the lag policy (docs/ARCHITECTURE.md, one packet): a cursor
/// never passes the write point; past `lagThreshold` packets behind it gets audio only; once back
/// within `resumeThreshold` it waits for the next keyframe and video resumes there; an overrun
/// cursor jumps forward and never reads overwritten data.
package struct FeedCursor {
    /// What the cursor does with video packets.
    package enum VideoState: Equatable {
        case flowing
        /// Skips video until a keyframe starts.
        case awaitingKeyframe
        /// Too far behind: audio only.
        case skipped
    }

    /// What the session should be told about.
    package enum Notice: Equatable {
        case videoSkipped(lag: UInt64)
        case videoResuming
        case overrun(skippedPackets: UInt64)
    }

    package private(set) var position: UInt64
    /// Packets before this are the fast-start backlog: their video is sent, their stale audio not.
    package private(set) var joinPosition: UInt64
    package private(set) var video: VideoState
    package let lagThreshold: UInt64
    package let resumeThreshold: UInt64
    /// A resuming session starts behind by the packets it missed: that much more lag is allowed
    /// until it first catches up, so the catch-up itself never costs it its video.
    private var catchUpAllowance: UInt64 = 0
    /// For a resuming session: per stream, the position of the last packet it already has.
    private var heldThrough: [(ssrc: UInt32, position: UInt64)] = []

    /// A cursor for a viewer joining now: it starts at the newest keyframe the feed holds.
    package init(joining feed: ChannelFeed, lagThreshold: Int) {
        position = feed.fastStartPosition
        joinPosition = feed.writePosition
        video = feed.keyframePosition == nil ? .awaitingKeyframe : .flowing
        self.lagThreshold = UInt64(max(lagThreshold, 2))
        resumeThreshold = self.lagThreshold / 4
    }

    /// A cursor for a receiver switching to TCP mid-stream: from the newest keyframe with audio
    /// included, so nothing still in the buffer is missed.
    package init(resumingIn feed: ChannelFeed, lagThreshold: Int) {
        self.init(joining: feed, lagThreshold: lagThreshold)
        joinPosition = position
    }

    /// A cursor for a receiver opened again where it left off (`ResumePoint`): every packet the
    /// feed holds after the ones it has, audio and video, no keyframe wait; a point of no streams
    /// (a new relay link) gets all the feed holds. nil when the feed no longer holds where it
    /// left off.
    package init?(resuming point: ResumePoint, in feed: ChannelFeed, lagThreshold: Int) {
        guard let held = feed.positions(of: point) else { return nil }
        self.init(joining: feed, lagThreshold: lagThreshold)
        position = held.map(\.position).min().map { $0 + 1 } ?? feed.oldestPosition
        joinPosition = position
        video = .flowing
        heldThrough = held
        catchUpAllowance = feed.writePosition - min(position, feed.writePosition)
    }

    /// Whether the cursor would read every packet from `start` to the write point just as they
    /// are (video flowing, audio past its join, no resume filter, nothing due before `start`):
    /// then a chunk of them shared with other receivers is exactly what it is owed.
    package func takesEverything(from start: UInt64, in feed: ChannelFeed) -> Bool {
        position == start && start >= feed.oldestPosition && start >= joinPosition && video == .flowing && heldThrough.isEmpty
    }

    /// Moves a cursor that `takesEverything` past what it was given.
    private mutating func skipToWritePoint(of feed: ChannelFeed) {
        position = feed.writePosition
        catchUpAllowance = 0
    }

    /// `takesEverything` and, when it does, `skipToWritePoint`: one access for the batch loop.
    package mutating func takeEverything(from start: UInt64, in feed: ChannelFeed) -> Bool {
        guard takesEverything(from: start, in: feed) else { return false }
        skipToWritePoint(of: feed)
        return true
    }

    /// Packets between the cursor and the write point.
    package func lag(in feed: ChannelFeed) -> UInt64 { feed.writePosition - min(position, feed.writePosition) }

    /// The next entry to send, or nil when caught up with the write point. The lag is counted
    /// up to `due` (default: the write point): packets after it have not been offered to the
    /// receiver yet (they wait for the next TCP batch), so they are not its lag.
    package mutating func next(in feed: ChannelFeed, notices: inout [Notice], due: UInt64? = nil) -> FeedEntry? {
        let due = min(due ?? feed.writePosition, feed.writePosition)
        while position < feed.writePosition {
            if position < feed.oldestPosition {
                let target = max(feed.fastStartPosition, feed.oldestPosition)
                notices.append(.overrun(skippedPackets: target - position))
                position = target
                if video == .flowing, feed.keyframePosition != target { video = .awaitingKeyframe }
                continue
            }
            let lag = due > position ? due - position : 0
            if catchUpAllowance > 0, lag <= lagThreshold { catchUpAllowance = 0 }
            if video != .skipped, lag > lagThreshold + catchUpAllowance {
                video = .skipped
                notices.append(.videoSkipped(lag: lag))
            } else if video == .skipped, lag <= resumeThreshold {
                video = .awaitingKeyframe
                notices.append(.videoResuming)
            }
            let current = position
            position += 1
            guard let entry = feed.entry(at: current) else { continue }
            if !heldThrough.isEmpty, alreadyHeld(entry, at: current) { continue }
            switch entry.kind {
            case .video:
                switch video {
                case .flowing: return entry
                case .skipped: continue
                case .awaitingKeyframe:
                    guard entry.startsKeyframe else { continue }
                    video = .flowing
                    return entry
                }
            case .audio, .other:
                if current < joinPosition { continue }
                return entry
            }
        }
        return nil
    }

    /// Whether a resuming session has this packet already; forgets the point once past it.
    private mutating func alreadyHeld(_ entry: FeedEntry, at position: UInt64) -> Bool {
        guard heldThrough.contains(where: { $0.position >= position }) else {
            heldThrough = []
            return false
        }
        let ssrc = entry.ssrc
        return heldThrough.contains { $0.ssrc == ssrc && position <= $0.position }
    }
}
