import COpus

/// libopus at 48 kHz with 20 ms frames and in-band FEC (RFC 7587 payloads are the bare packets).
public final class OpusAudioEncoder {
    public static let sampleRate = 48_000
    public static let frameSamples = 960
    public static let maxPacketSize = 1275

    public let channels: Int
    private let encoder: OpaquePointer

    public init(channels: Int, bitsPerSecond: Int = 64_000, expectedLossPercent: Int = 5) throws {
        guard channels == 1 || channels == 2 else { throw MediaError.unsupportedFormat("\(channels) audio channels; use 1 (mono) or 2 (stereo)") }
        var error: Int32 = 0
        guard let encoder = opus_encoder_create(Int32(Self.sampleRate), Int32(channels), OPUS_APPLICATION_AUDIO, &error), error == OPUS_OK else {
            throw MediaError.codec("Opus encoder: \(String(cString: opus_strerror(error)))")
        }
        self.channels = channels
        self.encoder = encoder
        guard avc_opus_set_bitrate(encoder, Int32(bitsPerSecond)) == OPUS_OK else {
            opus_encoder_destroy(encoder)
            throw MediaError.unsupportedFormat("Opus bitrate \(bitsPerSecond) bit/s; use 6000 to 510000")
        }
        _ = avc_opus_set_inband_fec(encoder, 1)
        _ = avc_opus_set_packet_loss_perc(encoder, Int32(expectedLossPercent))
    }

    deinit { opus_encoder_destroy(encoder) }

    /// Encodes one 20 ms frame of interleaved 16-bit samples.
    public func encode(_ samples: [Int16]) throws -> [UInt8] {
        guard samples.count == Self.frameSamples * channels else {
            throw MediaError.codec("Opus frames are \(Self.frameSamples) samples per channel, got \(samples.count / channels)")
        }
        var packet = [UInt8](repeating: 0, count: Self.maxPacketSize)
        let length = opus_encode(encoder, samples, Int32(Self.frameSamples), &packet, Int32(packet.count))
        guard length > 0 else { throw MediaError.codec("Opus encoding: \(String(cString: opus_strerror(length)))") }
        return Array(packet.prefix(Int(length)))
    }
}
