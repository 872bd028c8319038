import NIOCore

/// An FLV video tag's body as RTMP carries it (FLV 10.1, E.4.3): H.264 only. Either the AVC
/// decoder configuration (the SPS and PPS, sent first and whenever they change) or one access
/// unit's NAL units, unwrapped from their length prefixes.
public enum FLVVideoTag: Equatable, Sendable {
    case configuration(AVCConfiguration)
    /// One access unit. `compositionTime`: how far its presentation is after its decoding, in ms
    /// (not 0 only with B-frames).
    case accessUnit(nalUnits: [[UInt8]], keyframe: Bool, compositionTime: Int32)
    case endOfSequence

    /// What the H.264 stream says of itself: the NAL length size and the parameter sets.
    public struct AVCConfiguration: Equatable, Sendable {
        public var profile: UInt8
        public var level: UInt8
        public var lengthSize: Int
        public var sps: [[UInt8]]
        public var pps: [[UInt8]]
    }

    /// Reads a tag; `lengthSize` is the configuration's (4 unless it said otherwise).
    public init(parsing body: ByteBuffer, lengthSize: Int) throws {
        var body = body
        guard let first = body.readInteger(as: UInt8.self), let packetType = body.readInteger(as: UInt8.self),
            let high = body.readInteger(as: UInt16.self), let low = body.readInteger(as: UInt8.self)
        else { throw RTMPError("FLV: a video tag shorter than its 5-byte header") }
        guard first & 0x80 == 0 else { throw RTMPError("FLV: an enhanced-RTMP video tag (HEVC or AV1); send H.264") }
        let codec = first & 0x0F
        guard codec == 7 else { throw RTMPError("FLV: video codec \(codec) is not taken; send H.264 (codec 7)") }
        let keyframe = first >> 4 == 1
        switch packetType {
        case 0:
            self = .configuration(try AVCConfiguration(parsing: &body))
        case 1:
            // A signed 24-bit composition time.
            let raw = Int32(UInt32(high) << 8 | UInt32(low))
            let compositionTime = raw & 0x80_0000 != 0 ? raw - 0x100_0000 : raw
            var nalUnits: [[UInt8]] = []
            while body.readableBytes > 0 {
                guard let length = Self.readLength(&body, size: lengthSize), length <= body.readableBytes, let nal = body.readBytes(length: length) else {
                    throw RTMPError("FLV: a NAL unit longer than what is left of its tag")
                }
                if !nal.isEmpty { nalUnits.append(nal) }
            }
            self = .accessUnit(nalUnits: nalUnits, keyframe: keyframe, compositionTime: compositionTime)
        case 2:
            self = .endOfSequence
        default:
            throw RTMPError("FLV: AVC packet type \(packetType) is not one of 0, 1, 2")
        }
    }

    private static func readLength(_ body: inout ByteBuffer, size: Int) -> Int? {
        var value = 0
        for _ in 0..<size {
            guard let byte = body.readInteger(as: UInt8.self) else { return nil }
            value = value << 8 | Int(byte)
        }
        return value
    }
}

extension FLVVideoTag.AVCConfiguration {
    /// An AVCDecoderConfigurationRecord (ISO/IEC 14496-15, 5.2.4.1).
    init(parsing body: inout ByteBuffer) throws {
        guard let version = body.readInteger(as: UInt8.self), version == 1, let profile = body.readInteger(as: UInt8.self),
            body.readInteger(as: UInt8.self) != nil, let level = body.readInteger(as: UInt8.self),
            let length = body.readInteger(as: UInt8.self), let spsCount = body.readInteger(as: UInt8.self)
        else { throw RTMPError("FLV: not an AVC decoder configuration (version 1)") }
        self.profile = profile
        self.level = level
        lengthSize = Int(length & 0x03) + 1
        guard lengthSize != 3 else { throw RTMPError("FLV: a NAL length size of 3 bytes, which H.264 does not use") }
        func parameterSets(_ count: Int) throws -> [[UInt8]] {
            try (0..<count).map { _ in
                guard let size = body.readInteger(as: UInt16.self), let set = body.readBytes(length: Int(size)), !set.isEmpty else {
                    throw RTMPError("FLV: a parameter set longer than its configuration")
                }
                return set
            }
        }
        sps = try parameterSets(Int(spsCount & 0x1F))
        guard let ppsCount = body.readInteger(as: UInt8.self) else { throw RTMPError("FLV: an AVC configuration without its PPS count") }
        pps = try parameterSets(Int(ppsCount))
        guard !sps.isEmpty, !pps.isEmpty else { throw RTMPError("FLV: an AVC configuration without an SPS or a PPS") }
    }
}
