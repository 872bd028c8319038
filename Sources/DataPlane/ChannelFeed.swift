import NIOCore
import Wire

/// The fixed-size circular buffer of a channel's recent packets inside one unit (paper fig. 10),
/// shared by all of the channel's groups there. Positions count every packet ever appended, so a
/// cursor can tell at once whether what it wants has been overwritten.
package struct ChannelFeed {
    package let capacity: Int
    private var ring: [FeedEntry?]
    /// Position of the next packet to be appended.
    package private(set) var writePosition: UInt64 = 0
    /// Position of the newest keyframe start still in the ring.
    package private(set) var keyframePosition: UInt64?

    package init(capacity: Int) {
        self.capacity = max(capacity, 16)
        ring = Array(repeating: nil, count: self.capacity)
    }

    /// The oldest position still held.
    package var oldestPosition: UInt64 { writePosition > UInt64(capacity) ? writePosition - UInt64(capacity) : 0 }

    /// Appends a packet and returns its position.
    @discardableResult
    package mutating func append(_ entry: FeedEntry) -> UInt64 {
        let position = writePosition
        ring[Int(position % UInt64(capacity))] = entry
        writePosition += 1
        if entry.startsKeyframe { keyframePosition = position }
        if let keyframe = keyframePosition, keyframe < oldestPosition { keyframePosition = nil }
        return position
    }

    /// The entry at `position`, or nil when it is overwritten or not written yet.
    package func entry(at position: UInt64) -> FeedEntry? {
        guard position >= oldestPosition, position < writePosition else { return nil }
        return ring[Int(position % UInt64(capacity))]
    }

    /// Where a new viewer starts: the newest keyframe still held, so its first picture needs no
    /// wait; or now, when the ring holds none.
    package var fastStartPosition: UInt64 { keyframePosition ?? writePosition }
}

extension ChannelFeed {
    /// The newest packet held of each stream: where a relay link that breaks and opens again
    /// (re-parented after a unit failure) resumes at its new parent.
    package var resumePoint: ResumePoint? {
        var streams: [ResumePoint.Stream] = []
        var position = writePosition
        while position > oldestPosition, streams.count < WireLimits.resumeStreams {
            position -= 1
            guard let entry = entry(at: position) else { continue }
            let ssrc = entry.ssrc
            if !streams.contains(where: { $0.ssrc == ssrc }) {
                streams.append(ResumePoint.Stream(ssrc: ssrc, sequence: entry.sequenceNumber))
            }
        }
        return streams.isEmpty ? nil : ResumePoint(streams: streams)
    }

    /// Where each of the point's packets sits in the feed (the newest match), or nil when the
    /// feed no longer holds one of them: the receiver was away longer than the feed reaches back.
    package func positions(of point: ResumePoint) -> [(ssrc: UInt32, position: UInt64)]? {
        var found: [(ssrc: UInt32, position: UInt64)] = []
        for stream in point.streams {
            var position = writePosition
            var match: UInt64?
            while position > oldestPosition {
                position -= 1
                if let entry = entry(at: position), entry.ssrc == stream.ssrc, entry.sequenceNumber == stream.sequence {
                    match = position
                    break
                }
            }
            guard let match else { return nil }
            found.append((stream.ssrc, match))
        }
        return found
    }
}
