/// Where a receiver left off: the last RTP sequence number it has of each stream (SSRC). A
/// session opened again with it, at any unit of the same channel (every unit's feed comes from
/// the same root, with the broadcaster's own sequence numbers), gets what that unit still holds
/// after those packets before it goes live, so a viewer re-homed after a unit failure, or a relay
/// link re-parented, misses nothing while the gap is shorter than the feed.
public struct ResumePoint: Codable, Equatable, Sendable {
    public struct Stream: Codable, Equatable, Sendable {
        public var ssrc: UInt32
        public var sequence: UInt16

        public init(ssrc: UInt32, sequence: UInt16) {
            self.ssrc = ssrc
            self.sequence = sequence
        }
    }

    /// At most `WireLimits.resumeStreams`: a channel carries an audio and a video stream.
    public var streams: [Stream]

    public init(streams: [Stream]) { self.streams = streams }
}
