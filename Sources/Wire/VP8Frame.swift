/// One whole encoded VP8 frame, as the encoder made it and the decoder wants it.
public struct VP8Frame: Equatable, Sendable {
    /// The RTP timestamp (90 kHz) shared by the frame's packets.
    public var timestamp: UInt32
    public var data: [UInt8]
    public var pictureID: UInt16?

    public init(timestamp: UInt32, data: [UInt8], pictureID: UInt16? = nil) {
        self.timestamp = timestamp
        self.data = data
        self.pictureID = pictureID
    }

    /// The P bit of the frame tag (RFC 6386 section 9.1) is 0 on keyframes.
    public var isKeyframe: Bool { data.first.map { $0 & 0x01 == 0 } ?? false }
}
