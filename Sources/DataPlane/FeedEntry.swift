import NIOCore
import Wire

/// One packet in a channel feed, stored once with its RFC 4571 length prefix so TCP viewers get a
/// slice of it and UDP viewers the slice after the prefix: no copy per viewer.
package struct FeedEntry {
    /// Audio or video, from the RTP payload type.
    package enum Kind { case audio, video, other }

    /// Length prefix and packet.
    package let framed: ByteBuffer
    package let kind: Kind
    /// The first packet of a VP8 keyframe: where a picture can start.
    package let startsKeyframe: Bool

    /// The entry of an RTP packet (its header read in place, `header`): framed once, its kind from
    /// the payload type.
    package init(_ packet: ByteBuffer, header: RTPHeaderView, allocator: ByteBufferAllocator) {
        kind =
            switch header.payloadType {
            case RTPPayloadFormat.opus.payloadType: .audio
            case RTPPayloadFormat.vp8.payloadType: .video
            default: .other
            }
        let payload = packet.readableBytesView.dropFirst(header.payloadOffset)
        startsKeyframe = kind == .video && VP8PayloadDescriptor.startsKeyframe(payload)
        var framed = allocator.buffer(capacity: packet.readableBytes + 2)
        framed.writeInteger(UInt16(packet.readableBytes))
        framed.writeImmutableBuffer(packet)
        self.framed = framed
    }

    /// The RTP stream and sequence number, read in place (after the 2-byte prefix): what a
    /// resuming session is matched against.
    package var ssrc: UInt32 { framed.getInteger(at: framed.readerIndex + 10, as: UInt32.self) ?? 0 }
    package var sequenceNumber: UInt16 { framed.getInteger(at: framed.readerIndex + 4, as: UInt16.self) ?? 0 }

    /// The RTP packet itself, for UDP.
    package var datagram: ByteBuffer { framed.getSlice(at: framed.readerIndex + 2, length: framed.readableBytes - 2)! }
}
