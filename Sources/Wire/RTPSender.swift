import NIOCore

/// One outgoing RTP stream (RFC 3550): its SSRC, payload type and running sequence number; every
/// packet carries the capture-time extension.
public struct RTPSender: Sendable {
    public let payloadType: UInt8
    public let ssrc: UInt32
    public private(set) var sequenceNumber: UInt16

    public init(payloadType: UInt8, ssrc: UInt32 = .random(in: 1...UInt32.max), firstSequenceNumber: UInt16 = .random(in: 0...UInt16.max)) {
        self.payloadType = payloadType
        self.ssrc = ssrc
        self.sequenceNumber = firstSequenceNumber
    }

    /// The next packet of the stream.
    public mutating func packet(payload: [UInt8], timestamp: UInt32, marker: Bool = false, capturedAt: CaptureTime) -> ByteBuffer {
        defer { sequenceNumber &+= 1 }
        return RTPPacket(
            payloadType: payloadType, marker: marker, sequenceNumber: sequenceNumber, timestamp: timestamp, ssrc: ssrc,
            headerExtension: try? RTPHeaderExtension(elements: [capturedAt.element]), payload: ByteBuffer(bytes: payload)
        ).encoded()
    }
}
