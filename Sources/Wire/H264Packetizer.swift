/// Splits H.264 access units into RTP payloads (RFC 6184, packetization mode 1): a NAL unit that
/// fits goes alone (single NAL unit packet), a larger one in FU-A fragments. The caller puts each
/// payload in an RTP packet with the access unit's 90 kHz timestamp and sets the marker on the
/// last. Parameter sets go in as NAL units like any other: the ingest puts SPS and PPS before
/// every IDR, so a viewer that joins at a keyframe can decode it.
public struct H264Packetizer: Sendable {
    /// The same budget as VP8's: whole packets within 1200 bytes with the capture-time extension.
    public static let defaultMaxPayloadSize = VP8Packetizer.defaultMaxPayloadSize

    public var maxPayloadSize: Int

    public init(maxPayloadSize: Int = defaultMaxPayloadSize) {
        self.maxPayloadSize = max(maxPayloadSize, 16)
    }

    /// NAL unit types (RFC 6184, 5.4; H.264 table 7-1).
    public enum NALType {
        public static let idr: UInt8 = 5
        public static let sps: UInt8 = 7
        public static let pps: UInt8 = 8
        public static let stapA: UInt8 = 24
        public static let fuA: UInt8 = 28
    }

    /// Whether an RTP payload starts a keyframe: the SPS that goes before every IDR, alone or
    /// first in a STAP-A. A viewer that starts there gets the parameter sets, then the IDR.
    public static func startsKeyframe(_ payload: some Collection<UInt8>) -> Bool {
        guard let first = payload.first else { return false }
        switch first & 0x1F {
        case NALType.sps: return true
        case NALType.stapA:
            // One header byte, a 16-bit size, then the first aggregated NAL unit's header.
            guard payload.count > 3 else { return false }
            return payload[payload.index(payload.startIndex, offsetBy: 3)] & 0x1F == NALType.sps
        default: return false
        }
    }

    /// The payloads of one access unit (its NAL units, without start codes or lengths), in order.
    public func payloads(for nalUnits: [[UInt8]]) -> [[UInt8]] {
        var result: [[UInt8]] = []
        for nal in nalUnits where !nal.isEmpty {
            if nal.count <= maxPayloadSize {
                result.append(nal)
                continue
            }
            // FU-A: the indicator keeps F and NRI and says 28, the header says start, end and the type.
            let indicator = nal[0] & 0xE0 | NALType.fuA
            let type = nal[0] & 0x1F
            let chunk = maxPayloadSize - 2
            var offset = 1
            while offset < nal.count {
                let end = min(offset + chunk, nal.count)
                let header = (offset == 1 ? 0x80 : 0) | (end == nal.count ? 0x40 : 0) | type
                result.append([indicator, header] + nal[offset..<end])
                offset = end
            }
        }
        return result
    }
}
