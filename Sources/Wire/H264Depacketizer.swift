import NIOCore

/// Puts H.264 access units back together from RTP (RFC 6184, packetization mode 1: single NAL
/// units, STAP-A, FU-A) for a decoder, as Annex B (a start code before each NAL unit). An access
/// unit is whole from its first packet to the marker with consecutive sequence numbers; one with
/// a gap, a broken fragment or past `maxBytes` is dropped whole, never handed on corrupt.
public struct H264Depacketizer: Sendable {
    public enum Output: Equatable, Sendable {
        case accessUnit(annexB: [UInt8], keyframe: Bool, timestamp: UInt32)
        /// An access unit some of whose packets were lost or wrong; the decoder needs a keyframe.
        case lost(timestamp: UInt32)
    }

    public static let startCode: [UInt8] = [0, 0, 0, 1]
    public let maxBytes: Int

    private var timestamp: UInt32?
    private var nextSequence: UInt16 = 0
    private var bytes: [UInt8] = []
    private var keyframe = false
    private var fragment: [UInt8]?
    private var broken = false

    public init(maxBytes: Int = 4 << 20) {
        self.maxBytes = maxBytes
    }

    /// One packet of the video stream: what it completes or loses (at most two: the access unit
    /// it cut short, and its own).
    public mutating func append(_ packet: RTPPacket) -> [Output] {
        var outputs: [Output] = []
        if let current = timestamp, current != packet.timestamp || packet.sequenceNumber != nextSequence {
            // Its marker never came, or a packet is missing.
            outputs.append(.lost(timestamp: current))
            reset()
            if current == packet.timestamp { broken = true }
        }
        if timestamp == nil { timestamp = packet.timestamp }
        nextSequence = packet.sequenceNumber &+ 1
        if !broken { take(Array(packet.payload.readableBytesView)) }
        if bytes.count > maxBytes { broken = true }
        guard packet.marker else { return outputs }
        if broken || fragment != nil || bytes.isEmpty {
            outputs.append(.lost(timestamp: packet.timestamp))
        } else {
            outputs.append(.accessUnit(annexB: bytes, keyframe: keyframe, timestamp: packet.timestamp))
        }
        reset()
        return outputs
    }

    private mutating func take(_ payload: [UInt8]) {
        guard let first = payload.first else { return broken = true }
        switch first & 0x1F {
        case 1...23:
            add(payload)
        case H264Packetizer.NALType.stapA:
            var index = 1
            while index + 2 <= payload.count {
                let size = Int(payload[index]) << 8 | Int(payload[index + 1])
                index += 2
                guard size > 0, index + size <= payload.count else { return broken = true }
                add(Array(payload[index..<index + size]))
                index += size
            }
        case H264Packetizer.NALType.fuA:
            guard payload.count > 2 else { return broken = true }
            let header = payload[1]
            if header & 0x80 != 0 {
                guard fragment == nil else { return broken = true }
                fragment = [first & 0xE0 | header & 0x1F]
            }
            guard fragment != nil else { return broken = true }
            fragment! += payload[2...]
            if header & 0x40 != 0 {
                add(fragment!)
                fragment = nil
            }
        default:
            broken = true
        }
    }

    private mutating func add(_ nal: [UInt8]) {
        if nal[0] & 0x1F == H264Packetizer.NALType.idr { keyframe = true }
        bytes += Self.startCode
        bytes += nal
    }

    private mutating func reset() {
        timestamp = nil
        bytes = []
        keyframe = false
        fragment = nil
        broken = false
    }
}
