import NIOCore
import Wire

/// A publisher's H.264 as the cluster carries it: FLV video tags in, access units out with their
/// 90 kHz timestamps, SPS and PPS put before every IDR that lacks them (a viewer that joins at a
/// keyframe, or gets video back at one, can decode it). Nothing is re-encoded. B-frames are
/// refused: a live viewer's decoder shows frames as they come.
public struct H264Ingest: Sendable {
    public struct AccessUnit: Equatable, Sendable {
        public var nalUnits: [[UInt8]]
        public var keyframe: Bool
        /// 90 kHz, from the tag's milliseconds (wrapping as RTP timestamps do).
        public var timestamp: UInt32
    }

    public private(set) var configuration: FLVVideoTag.AVCConfiguration?

    public init() {}

    /// One video tag at `milliseconds`: an access unit, or nil for the configuration, the end of
    /// the sequence, or an access unit before any configuration (nothing could decode it).
    public mutating func take(_ body: ByteBuffer, milliseconds: UInt32) throws -> AccessUnit? {
        switch try FLVVideoTag(parsing: body, lengthSize: configuration?.lengthSize ?? 4) {
        case .configuration(let new):
            configuration = new
            return nil
        case .endOfSequence:
            return nil
        case .accessUnit(let nalUnits, let flagged, let compositionTime):
            guard let configuration, !nalUnits.isEmpty else { return nil }
            guard compositionTime == 0 else {
                throw RTMPError("the H.264 stream has B-frames (a frame shown \(compositionTime) ms after it is decoded): set B-frames to 0 (OBS: Settings > Output > Encoder; x264: -bf 0)")
            }
            let types = Set(nalUnits.map { $0[0] & 0x1F })
            let keyframe = flagged || types.contains(H264Packetizer.NALType.idr)
            var units = nalUnits
            if keyframe, !types.contains(H264Packetizer.NALType.sps) || !types.contains(H264Packetizer.NALType.pps) {
                units = configuration.sps + configuration.pps + nalUnits.filter {
                    let type = $0[0] & 0x1F
                    return type != H264Packetizer.NALType.sps && type != H264Packetizer.NALType.pps
                }
            }
            return AccessUnit(nalUnits: units, keyframe: keyframe, timestamp: milliseconds &* 90)
        }
    }
}
