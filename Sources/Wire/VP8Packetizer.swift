/// Splits VP8 frames into RTP payloads (RFC 7741): a descriptor with a 15-bit picture id on every
/// packet, S set on the first. The caller puts each payload in an RTP packet with the frame's
/// timestamp and sets the marker on the last.
public struct VP8Packetizer: Sendable {
    /// Largest payload, descriptor included. 1200 minus the RTP header and capture-time extension
    /// keeps whole packets within 1200 bytes.
    public static let defaultMaxPayloadSize = 1200 - RTPPacket.fixedHeaderSize - 16

    public var maxPayloadSize: Int
    /// The picture id of the next frame; wraps at 15 bits.
    public private(set) var nextPictureID: UInt16

    public init(maxPayloadSize: Int = defaultMaxPayloadSize, firstPictureID: UInt16 = .random(in: 0..<0x8000)) {
        self.maxPayloadSize = max(maxPayloadSize, 8)
        self.nextPictureID = firstPictureID & 0x7FFF
    }

    /// The payloads of one frame, in order.
    public mutating func payloads(for frame: [UInt8]) -> [[UInt8]] {
        let pictureID = nextPictureID
        nextPictureID = (nextPictureID &+ 1) & 0x7FFF
        let chunkSize = maxPayloadSize - 4  // descriptor: 2 bytes + 2-byte picture id
        var result: [[UInt8]] = []
        result.reserveCapacity(max(1, (frame.count + chunkSize - 1) / chunkSize))
        var offset = 0
        repeat {
            let end = min(offset + chunkSize, frame.count)
            let descriptor = VP8PayloadDescriptor(isStartOfPartition: offset == 0, pictureID: pictureID)
            result.append(descriptor.bytes + frame[offset..<end])
            offset = end
        } while offset < frame.count
        return result
    }
}
