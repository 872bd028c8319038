import NIOCore

/// One packet in a channel feed, stored once with its RFC 4571 length prefix so TCP viewers get a
/// slice of it and UDP viewers the slice after the prefix: no copy per viewer.
struct FeedEntry {
    /// Audio or video, from the RTP payload type.
    enum Kind { case audio, video, other }

    /// Length prefix and packet.
    let framed: ByteBuffer
    let kind: Kind
    /// The first packet of a VP8 keyframe: where a picture can start.
    let startsKeyframe: Bool

    /// The RTP packet itself, for UDP.
    var datagram: ByteBuffer { framed.getSlice(at: framed.readerIndex + 2, length: framed.readableBytes - 2)! }
}
