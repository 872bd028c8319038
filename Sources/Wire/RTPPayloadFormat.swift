/// The media formats of a channel and how they appear in RTP and SDP.
public struct RTPPayloadFormat: Equatable, Hashable, Sendable {
    public var payloadType: UInt8
    public var encodingName: String
    public var clockRate: UInt32
    public var channels: Int?
    /// The SDP `a=fmtp` parameters, when the format has any.
    public var parameters: String?

    /// Opus (RFC 7587): always a 48 kHz clock and "2" channels in SDP, whatever is sent.
    public static let opus = RTPPayloadFormat(payloadType: 111, encodingName: "opus", clockRate: 48_000, channels: 2, parameters: "useinbandfec=1")
    /// VP8 (RFC 7741): 90 kHz clock.
    public static let vp8 = RTPPayloadFormat(payloadType: 96, encodingName: "VP8", clockRate: 90_000, channels: nil)
    /// H.264 (RFC 6184) in packetization mode 1 (single NAL units and FU-A): 90 kHz clock.
    public static let h264 = RTPPayloadFormat(
        payloadType: 102, encodingName: "H264", clockRate: 90_000, channels: nil, parameters: "packetization-mode=1")

    /// The SDP `a=rtpmap` value.
    public var rtpmap: String {
        "\(payloadType) \(encodingName)/\(clockRate)" + (channels.map { "/\($0)" } ?? "")
    }
}

/// The video codec a channel carries: VP8 from this project's broadcasters, H.264 as OBS, ffmpeg
/// and phones publish it over RTMP and SRT (carried through, never re-encoded). Audio is always
/// Opus.
public enum VideoCodec: String, Codable, CaseIterable, Sendable {
    case vp8
    case h264

    public var format: RTPPayloadFormat {
        switch self {
        case .vp8: .vp8
        case .h264: .h264
        }
    }

    /// The codec of a video payload type, nil for any other.
    /// Read for every packet the feed takes: a switch, not a search.
    public init?(payloadType: UInt8) {
        switch payloadType {
        case RTPPayloadFormat.vp8.payloadType: self = .vp8
        case RTPPayloadFormat.h264.payloadType: self = .h264
        default: return nil
        }
    }

    /// Whether a packet's payload is the first of a picture a decoder can start at: a VP8
    /// keyframe's first partition, or the SPS that the ingest puts before every IDR.
    public func startsKeyframe(_ payload: some Collection<UInt8>) -> Bool {
        switch self {
        case .vp8: VP8PayloadDescriptor.startsKeyframe(payload)
        case .h264: H264Packetizer.startsKeyframe(payload)
        }
    }
}
