import Media
import Wire

/// Opus packets to sound in sequence order: one lost packet is rebuilt from the next packet's
/// FEC data, longer gaps are concealed (up to 100 ms), late packets are dropped.
struct AudioPlayout {
    private let decoder: OpusAudioDecoder
    private var lastSequence: UInt16?
    private(set) var concealed = 0

    init(channels: Int) throws { decoder = try OpusAudioDecoder(channels: channels) }

    /// The sound this packet adds, in order.
    mutating func receive(_ packet: RTPPacket) -> [[Int16]] {
        let payload = Array(packet.payload.readableBytesView)
        var frames: [[Int16]] = []
        if let last = lastSequence {
            let gap = Int(Int16(bitPattern: packet.sequenceNumber &- last))
            guard gap > 0 else { return [] }  // late or duplicate
            if gap == 2, let recovered = try? decoder.decode(payload, fromFEC: true) {
                frames.append(recovered)
                concealed += 1
            } else if gap > 2 {
                for _ in 0..<min(gap - 1, 5) {
                    if let filled = try? decoder.decode(nil) { frames.append(filled) }
                }
                concealed += gap - 1
            }
        }
        lastSequence = packet.sequenceNumber
        if let decoded = try? decoder.decode(payload) { frames.append(decoded) }
        return frames
    }
}
