import COpus

/// libopus at 48 kHz with in-band FEC (RFC 7587 payloads are the bare packets). Frames are 20 ms
/// unless asked otherwise: longer frames mean fewer packets for a unit to send to each viewer, at
/// the cost of that much more latency.
public final class OpusAudioEncoder {
    public static let sampleRate = 48_000
    /// Samples per channel of a 20 ms frame, the usual size.
    public static let frameSamples = 960
    /// The frame durations Opus encodes that this project offers.
    public static let frameMillisecondsAllowed = [10, 20, 40, 60]
    public static let maxPacketSize = 1275

    public let channels: Int
    /// Samples per channel of each frame this encoder takes.
    public let frameSamples: Int
    private let encoder: OpaquePointer

    public init(channels: Int, bitsPerSecond: Int = 64_000, expectedLossPercent: Int = 5, frameMilliseconds: Int = 20) throws {
        guard channels == 1 || channels == 2 else { throw MediaError.unsupportedFormat("\(channels) audio channels; use 1 (mono) or 2 (stereo)") }
        guard Self.frameMillisecondsAllowed.contains(frameMilliseconds) else {
            throw MediaError.unsupportedFormat("Opus frames of \(frameMilliseconds) ms; use one of \(Self.frameMillisecondsAllowed.map(String.init).joined(separator: ", "))")
        }
        frameSamples = Self.sampleRate / 1000 * frameMilliseconds
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

    /// Encodes one frame of interleaved 16-bit samples.
    public func encode(_ samples: [Int16]) throws -> [UInt8] {
        guard samples.count == frameSamples * channels else {
            throw MediaError.codec("this encoder's frames are \(frameSamples) samples per channel, got \(samples.count / channels)")
        }
        var packet = [UInt8](repeating: 0, count: Self.maxPacketSize)
        let length = opus_encode(encoder, samples, Int32(frameSamples), &packet, Int32(packet.count))
        guard length > 0 else { throw MediaError.codec("Opus encoding: \(String(cString: opus_strerror(length)))") }
        return Array(packet.prefix(Int(length)))
    }
}
