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
    /// The first packet of a keyframe (VP8's, or H.264's SPS before an IDR): where a picture can start.
    package let startsKeyframe: Bool

    /// The entry of an RTP packet (its header read in place, `header`): framed once, its kind from
    /// the payload type; sealed with `relaySeal` when given (`UplinkTag.seal`), so the unit's relay
    /// children can tell it from a forgery. nil when the packet cannot be sealed.
    package init?(_ packet: ByteBuffer, header: RTPHeaderView, relaySeal: UplinkTag?, allocator: ByteBufferAllocator) {
        let video = VideoCodec(payloadType: header.payloadType)
        kind = video != nil ? .video : header.payloadType == RTPPayloadFormat.opus.payloadType ? .audio : .other
        startsKeyframe = video?.startsKeyframe(packet.readableBytesView.dropFirst(header.payloadOffset)) ?? false
        var framed = allocator.buffer(capacity: packet.readableBytes + 2 + UplinkTag.sealSize)
        framed.writeInteger(UInt16(0))
        framed.writeImmutableBuffer(packet)
        if let relaySeal, !relaySeal.seal(&framed, packetAt: framed.readerIndex + 2) { return nil }
        guard framed.readableBytes - 2 <= Int(UInt16.max) else { return nil }
        framed.setInteger(UInt16(framed.readableBytes - 2), at: framed.readerIndex)
        self.framed = framed
    }

    /// The entry of an RTP packet as it is.
    package init(_ packet: ByteBuffer, header: RTPHeaderView, allocator: ByteBufferAllocator) {
        self.init(packet, header: header, relaySeal: nil, allocator: allocator)!
    }

    /// The RTP stream and sequence number, read in place (after the 2-byte prefix): what a
    /// resuming session is matched against.
    package var ssrc: UInt32 { framed.getInteger(at: framed.readerIndex + 10, as: UInt32.self) ?? 0 }
    package var sequenceNumber: UInt16 { framed.getInteger(at: framed.readerIndex + 4, as: UInt16.self) ?? 0 }

    /// The RTP packet itself, for UDP.
    package var datagram: ByteBuffer { framed.getSlice(at: framed.readerIndex + 2, length: framed.readableBytes - 2)! }
}
