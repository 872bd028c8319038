import NIOCore
import Wire

/// A resuming receiver that reached this unit before the channel's feed here caught up with it
/// (a relay link just opened and its parent's backlog is still on the way): its media waits,
/// briefly, until the feed has the packets it left off at.
package struct ResumeWait {
    /// How long a receiver waits for the feed before it starts afresh at a keyframe.
    package static let longest = TimeAmount.seconds(2)

    package let session: SessionID
    package let deadline: NIODeadline
    /// Streams whose packet the feed has not reached yet.
    private var pending: [ResumePoint.Stream]

    package init(session: SessionID, point: ResumePoint, now: NIODeadline) {
        self.session = session
        deadline = now + Self.longest
        pending = point.streams
    }

    /// Whether the feed is behind `point`: of one of its streams it holds nothing, or only packets
    /// before the point's. (A feed that is past the point without holding it lost it to age.)
    package static func feedIsBehind(_ feed: ChannelFeed, _ point: ResumePoint) -> Bool {
        let newest = feed.resumePoint?.streams ?? []
        return point.streams.contains { stream in
            guard let held = newest.first(where: { $0.ssrc == stream.ssrc }) else { return true }
            return Int16(bitPattern: stream.sequence &- held.sequence) > 0
        }
    }

    /// Takes a packet the feed just got; true once the feed has reached every stream's point.
    package mutating func reached(ssrc: UInt32, sequence: UInt16) -> Bool {
        pending.removeAll { $0.ssrc == ssrc && Int16(bitPattern: sequence &- $0.sequence) >= 0 }
        return pending.isEmpty
    }
}
