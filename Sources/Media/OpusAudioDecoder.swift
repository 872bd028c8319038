import COpus

/// libopus decoding at 48 kHz; a lost packet is rebuilt from the next one's FEC data, or concealed.
public final class OpusAudioDecoder {
    public let channels: Int
    private let decoder: OpaquePointer
    /// Samples per channel of the last packet: what a lost one is assumed to have held.
    private var lastFrameSamples = OpusAudioEncoder.frameSamples

    public init(channels: Int) throws {
        var error: Int32 = 0
        guard let decoder = opus_decoder_create(Int32(OpusAudioEncoder.sampleRate), Int32(channels), &error), error == OPUS_OK else {
            throw MediaError.codec("Opus decoder: \(String(cString: opus_strerror(error)))")
        }
        self.channels = channels
        self.decoder = decoder
    }

    deinit { opus_decoder_destroy(decoder) }

    /// Decodes one packet into interleaved samples; `nil` conceals a lost frame (as long as the
    /// last one), and `fromFEC` recovers the previous frame from this packet's redundancy.
    public func decode(_ packet: [UInt8]?, fromFEC: Bool = false) throws -> [Int16] {
        // A packet holds at most 120 ms.
        var samples = [Int16](repeating: 0, count: OpusAudioEncoder.frameSamples * channels * 6)
        let count: Int32
        if let packet {
            let packetSamples = opus_packet_get_nb_samples(packet, Int32(packet.count), Int32(OpusAudioEncoder.sampleRate))
            if packetSamples > 0 { lastFrameSamples = Int(packetSamples) }
            count = opus_decode(decoder, packet, Int32(packet.count), &samples, Int32(fromFEC ? lastFrameSamples : samples.count / channels), fromFEC ? 1 : 0)
        } else {
            count = opus_decode(decoder, nil, 0, &samples, Int32(lastFrameSamples), 0)
        }
        guard count >= 0 else { throw MediaError.codec("Opus decoding: \(String(cString: opus_strerror(count)))") }
        return Array(samples.prefix(Int(count) * channels))
    }
}
