import NIOCore
import Wire

/// What a unit takes from a channel's broadcaster (docs/SECURITY.md): RTP of the channel's two
/// payload types only (Opus 111, and VP8 96 or H.264 102), packets no larger than `maxPacketBytes`, and no more
/// than `maxBitsPerSecond` for the channel (a token bucket holding one second's worth). Everything
/// else is dropped and counted; nothing a broadcaster sends can make the unit fan out more.
package struct UplinkPolicy {
    package enum Verdict: Equatable { case accept, wrongPayloadType, tooLarge, overBitrate }

    package static let payloadTypes: Set<UInt8> = Set([RTPPayloadFormat.opus.payloadType] + VideoCodec.allCases.map(\.format.payloadType))

    package let maxPacketBytes: Int
    package let bytesPerNanosecond: Double
    private let bucketBytes: Double
    private var tokens: Double
    private var last: NIODeadline

    package init(maxPacketBytes: Int, maxBitsPerSecond: Int, now: NIODeadline) {
        self.maxPacketBytes = maxPacketBytes
        bucketBytes = Double(max(maxBitsPerSecond, 8)) / 8
        bytesPerNanosecond = bucketBytes / 1e9
        tokens = bucketBytes
        last = now
    }

    package mutating func check(_ packet: ByteBuffer, now: NIODeadline) -> Verdict {
        let form = checkForm(packet)
        return form == .accept ? spend(packet, now: now) : form
    }

    /// The packet's size and payload type, spending nothing.
    package func checkForm(_ packet: ByteBuffer) -> Verdict {
        guard packet.readableBytes <= maxPacketBytes else { return .tooLarge }
        guard let header = RTPHeaderView(packet), Self.payloadTypes.contains(header.payloadType) else { return .wrongPayloadType }
        return .accept
    }

    /// Takes the packet out of the channel's bitrate budget, if it fits.
    package mutating func spend(_ packet: ByteBuffer, now: NIODeadline) -> Verdict {
        tokens = min(bucketBytes, tokens + Double(max(0, (now - last).nanoseconds)) * bytesPerNanosecond)
        last = now
        let size = Double(packet.readableBytes)
        guard tokens >= size else { return .overBitrate }
        tokens -= size
        return .accept
    }
}
