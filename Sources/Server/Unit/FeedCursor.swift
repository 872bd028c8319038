/// A viewer's place in a channel feed, and the lag policy (DESIGN.md, data plane): a cursor
/// never passes the write point; past `lagThreshold` packets behind it gets audio only; once back
/// within `resumeThreshold` it waits for the next keyframe and video resumes there; an overrun
/// cursor jumps forward and never reads overwritten data.
struct FeedCursor {
    /// What the cursor does with video packets.
    enum VideoState: Equatable {
        case flowing
        /// Skips video until a keyframe starts.
        case awaitingKeyframe
        /// Too far behind: audio only.
        case skipped
    }

    /// What the session should be told about.
    enum Notice: Equatable {
        case videoSkipped(lag: UInt64)
        case videoResuming
        case overrun(skippedPackets: UInt64)
    }

    private(set) var position: UInt64
    /// Packets before this are the fast-start backlog: their video is sent, their stale audio not.
    private(set) var joinPosition: UInt64
    private(set) var video: VideoState
    let lagThreshold: UInt64
    let resumeThreshold: UInt64

    /// A cursor for a viewer joining now: it starts at the newest keyframe the feed holds.
    init(joining feed: ChannelFeed, lagThreshold: Int) {
        position = feed.fastStartPosition
        joinPosition = feed.writePosition
        video = feed.keyframePosition == nil ? .awaitingKeyframe : .flowing
        self.lagThreshold = UInt64(max(lagThreshold, 2))
        resumeThreshold = self.lagThreshold / 4
    }

    /// A cursor for a receiver switching to TCP mid-stream: from the newest keyframe with audio
    /// included, so nothing still in the buffer is missed.
    init(resumingIn feed: ChannelFeed, lagThreshold: Int) {
        self.init(joining: feed, lagThreshold: lagThreshold)
        joinPosition = position
    }

    /// Packets between the cursor and the write point.
    func lag(in feed: ChannelFeed) -> UInt64 { feed.writePosition - min(position, feed.writePosition) }

    /// The next entry to send, or nil when caught up with the write point.
    mutating func next(in feed: ChannelFeed, notices: inout [Notice]) -> FeedEntry? {
        while position < feed.writePosition {
            if position < feed.oldestPosition {
                let target = max(feed.fastStartPosition, feed.oldestPosition)
                notices.append(.overrun(skippedPackets: target - position))
                position = target
                if video == .flowing, feed.keyframePosition != target { video = .awaitingKeyframe }
                continue
            }
            let lag = feed.writePosition - position
            if video != .skipped, lag > lagThreshold {
                video = .skipped
                notices.append(.videoSkipped(lag: lag))
            } else if video == .skipped, lag <= resumeThreshold {
                video = .awaitingKeyframe
                notices.append(.videoResuming)
            }
            let current = position
            position += 1
            guard let entry = feed.entry(at: current) else { continue }
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
}
