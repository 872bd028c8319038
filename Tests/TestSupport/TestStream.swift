import NIOCore
import Wire

/// The tests' stream.
package typealias TestStream = SyntheticStream

/// What a test needs to know of a received packet.
package struct ReceivedPacket: Equatable, Hashable, Sendable {
    package var ssrc: UInt32
    package var sequence: UInt16
    package var startsKeyframe: Bool
    package var payloadType: UInt8

    package init?(_ buffer: ByteBuffer) {
        guard let packet = try? RTPPacket(parsing: buffer) else { return nil }
        ssrc = packet.ssrc
        sequence = packet.sequenceNumber
        payloadType = packet.payloadType
        startsKeyframe = VideoCodec(payloadType: packet.payloadType)?.startsKeyframe(packet.payload.readableBytesView) ?? false
    }

    package var isVideo: Bool { ssrc == SyntheticStream.videoSSRC }
}

/// A short account of how two packet lists differ (nil when equal), so a failure stays readable.
package func difference(_ got: [ReceivedPacket], _ expected: [ReceivedPacket]) -> String? {
    guard got != expected else { return nil }
    let index = zip(got, expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(got.count, expected.count)
    let gotAt = index < got.count ? "\(got[index])" : "end"
    let expectedAt = index < expected.count ? "\(expected[index])" : "end"
    return "got \(got.count) packets, expected \(expected.count); first difference at \(index): got \(gotAt), expected \(expectedAt)"
}
