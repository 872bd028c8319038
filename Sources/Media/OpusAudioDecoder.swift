import COpus

/// libopus decoding at 48 kHz; a lost packet is rebuilt from the next one's FEC data, or concealed.
public final class OpusAudioDecoder {
    public let channels: Int
    private let decoder: OpaquePointer

    public init(channels: Int) throws {
        var error: Int32 = 0
        guard let decoder = opus_decoder_create(Int32(OpusAudioEncoder.sampleRate), Int32(channels), &error), error == OPUS_OK else {
            throw MediaError.codec("Opus decoder: \(String(cString: opus_strerror(error)))")
        }
        self.channels = channels
        self.decoder = decoder
    }

    deinit { opus_decoder_destroy(decoder) }

    /// Decodes one packet into interleaved samples; `nil` conceals a lost 20 ms frame, and
    /// `fromFEC` recovers the previous frame from this packet's redundancy.
    public func decode(_ packet: [UInt8]?, fromFEC: Bool = false) throws -> [Int16] {
        var samples = [Int16](repeating: 0, count: OpusAudioEncoder.frameSamples * channels * 6)
        let count: Int32
        if let packet {
            count = opus_decode(decoder, packet, Int32(packet.count), &samples, Int32(fromFEC ? OpusAudioEncoder.frameSamples : samples.count / channels), fromFEC ? 1 : 0)
        } else {
            count = opus_decode(decoder, nil, 0, &samples, Int32(OpusAudioEncoder.frameSamples), 0)
        }
        guard count >= 0 else { throw MediaError.codec("Opus decoding: \(String(cString: opus_strerror(count)))") }
        return Array(samples.prefix(Int(count) * channels))
    }
}
