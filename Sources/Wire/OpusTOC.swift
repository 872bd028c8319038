/// The table-of-contents byte that starts every Opus packet (RFC 6716 section 3.1), which is the
/// whole RTP payload (RFC 7587). Enough to know the mode, bandwidth and duration without a decoder.
public struct OpusTOC: Equatable, Sendable {
    public enum Mode: Sendable { case silk, hybrid, celt }

    /// 0...31, selects mode, bandwidth and frame size.
    public var configuration: UInt8
    public var isStereo: Bool
    /// 0: one frame; 1: two equal frames; 2: two frames; 3: a counted number of frames.
    public var frameCountCode: UInt8
    /// Frames in the packet.
    public var frameCount: Int

    /// Reads the TOC (and, for code 3, the frame count byte) of an RTP payload.
    public init(payload: some Collection<UInt8>) throws {
        guard let toc = payload.first else { throw WireError.invalidOpusPayload("the payload is empty") }
        configuration = toc >> 3
        isStereo = toc & 0x04 != 0
        frameCountCode = toc & 0x03
        switch frameCountCode {
        case 0: frameCount = 1
        case 1, 2: frameCount = 2
        default:
            guard payload.count >= 2 else { throw WireError.invalidOpusPayload("code 3 packet has no frame count byte") }
            frameCount = Int(payload[payload.index(after: payload.startIndex)] & 0x3F)
            guard frameCount > 0 else { throw WireError.invalidOpusPayload("code 3 packet counts zero frames") }
        }
        guard frameDurationMicroseconds * frameCount <= 120_000 else {
            throw WireError.invalidOpusPayload("\(frameCount) frames last more than the 120 ms a packet may hold")
        }
    }

    public var mode: Mode {
        switch configuration {
        case 0...11: .silk
        case 12...15: .hybrid
        default: .celt
        }
    }

    /// Duration of one frame.
    public var frameDurationMicroseconds: Int {
        switch configuration {
        case 0...11: [10_000, 20_000, 40_000, 60_000][Int(configuration % 4)]
        case 12...15: [10_000, 20_000][Int(configuration % 2)]
        default: [2_500, 5_000, 10_000, 20_000][Int(configuration % 4)]
        }
    }

    /// Samples per channel at 48 kHz: how far the RTP timestamp advances after this packet.
    public var samplesAt48kHz: Int { frameDurationMicroseconds * frameCount * 48 / 1000 }
}
