/// The two media formats of a channel and how they appear in RTP and SDP.
public struct RTPPayloadFormat: Equatable, Hashable, Sendable {
    public var payloadType: UInt8
    public var encodingName: String
    public var clockRate: UInt32
    public var channels: Int?

    /// Opus (RFC 7587): always a 48 kHz clock and "2" channels in SDP, whatever is sent.
    public static let opus = RTPPayloadFormat(payloadType: 111, encodingName: "opus", clockRate: 48_000, channels: 2)
    /// VP8 (RFC 7741): 90 kHz clock.
    public static let vp8 = RTPPayloadFormat(payloadType: 96, encodingName: "VP8", clockRate: 90_000, channels: nil)

    /// The SDP `a=rtpmap` value.
    public var rtpmap: String {
        "\(payloadType) \(encodingName)/\(clockRate)" + (channels.map { "/\($0)" } ?? "")
    }
}
