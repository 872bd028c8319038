import NIOCore

/// The few header fields a counting receiver needs, read in place without copying or allocating:
/// what load tests read for every packet of thousands of viewers. `RTPPacket` parses everything.
public struct RTPHeaderView: Equatable, Sendable {
    public var payloadType: UInt8
    /// The marker bit: for video, the last packet of a frame.
    public var marker: Bool
    public var sequenceNumber: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    /// The capture time when the packet carries it as a one-byte-form element.
    public var captureTime: CaptureTime?
    /// Where the payload starts, from the buffer's reader index.
    public var payloadOffset: Int

    /// nil when the bytes are not a whole RTP version 2 header.
    public init?(_ buffer: ByteBuffer) {
        let base = buffer.readerIndex
        guard buffer.readableBytes >= RTPPacket.fixedHeaderSize, let first = buffer.getInteger(at: base, as: UInt8.self), first >> 6 == 2,
            let second = buffer.getInteger(at: base + 1, as: UInt8.self), let sequence = buffer.getInteger(at: base + 2, as: UInt16.self),
            let timestamp = buffer.getInteger(at: base + 4, as: UInt32.self), let ssrc = buffer.getInteger(at: base + 8, as: UInt32.self)
        else { return nil }
        payloadType = second & 0x7F
        marker = second & 0x80 != 0
        sequenceNumber = sequence
        self.timestamp = timestamp
        self.ssrc = ssrc
        var offset = RTPPacket.fixedHeaderSize + 4 * Int(first & 0x0F)
        captureTime = nil
        if first & 0x10 != 0 {
            guard let profile = buffer.getInteger(at: base + offset, as: UInt16.self),
                let words = buffer.getInteger(at: base + offset + 2, as: UInt16.self)
            else { return nil }
            let end = offset + 4 + Int(words) * 4
            guard end <= buffer.readableBytes else { return nil }
            if profile == RTPHeaderExtension.oneByteProfile {
                captureTime = Self.captureTime(in: buffer, from: base + offset + 4, to: base + end)
            }
            offset = end
        }
        guard offset <= buffer.readableBytes else { return nil }
        payloadOffset = offset
    }

    /// Walks one-byte-form elements (RFC 8285 4.2) for the capture-time element.
    private static func captureTime(in buffer: ByteBuffer, from start: Int, to end: Int) -> CaptureTime? {
        var index = start
        while index < end, let header = buffer.getInteger(at: index, as: UInt8.self) {
            if header == 0 { index += 1; continue }  // padding
            let id = header >> 4
            if id == 15 { return nil }  // reserved: stop
            let length = Int(header & 0x0F) + 1
            if id == CaptureTime.extensionID, length == 8, index + 9 <= end, let value = buffer.getInteger(at: index + 1, as: UInt64.self) {
                return CaptureTime(microsecondsSinceEpoch: value)
            }
            index += 1 + length
        }
        return nil
    }
}
