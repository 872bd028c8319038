import CAVCodec
import COpus

/// A publisher's AAC as every viewer gets it: decoded (FFmpeg's AAC decoder, resampled to 48 kHz
/// stereo) and encoded again in 20 ms Opus frames, so a channel carries one audio codec whatever
/// fed it. Holds less than a frame between calls.
public final class AACToOpus {
    public static let sampleRate = 48_000
    /// Samples per channel in one Opus frame: 20 ms.
    public static let frameSamples = 960
    public static let channels = 2

    private let decoder: UnsafeMutablePointer<avc_aac_decoder>
    private let encoder: OpaquePointer
    /// Interleaved stereo samples not yet a whole frame.
    private var pending: [Int16] = []
    private var decoded = [Int16](repeating: 0, count: 8192 * 2)

    /// `audioSpecificConfig`: the body of the FLV AAC sequence header.
    public init(audioSpecificConfig: [UInt8], bitrate: Int32 = 96_000) throws {
        guard let decoder = audioSpecificConfig.withUnsafeBufferPointer({ avc_aac_open($0.baseAddress, Int32($0.count)) }) else {
            throw RTMPError("AAC: FFmpeg does not take this AudioSpecificConfig (\(audioSpecificConfig.count) bytes)")
        }
        var error: Int32 = 0
        guard let encoder = opus_encoder_create(Int32(Self.sampleRate), Int32(Self.channels), OPUS_APPLICATION_AUDIO, &error), error == OPUS_OK else {
            avc_aac_close(decoder)
            throw RTMPError("Opus: the encoder did not start (\(error))")
        }
        _ = avc_opus_set_bitrate(encoder, bitrate)
        self.decoder = decoder
        self.encoder = encoder
    }

    deinit {
        avc_aac_close(decoder)
        opus_encoder_destroy(encoder)
    }

    /// One raw AAC frame in: the Opus frames it completes (none, one, or more).
    public func take(_ aacFrame: [UInt8]) throws -> [[UInt8]] {
        let capacity = decoded.count / Self.channels
        let written = aacFrame.withUnsafeBufferPointer { frame in
            decoded.withUnsafeMutableBufferPointer { out in
                avc_aac_decode(decoder, frame.baseAddress, Int32(frame.count), out.baseAddress, Int32(capacity))
            }
        }
        guard written >= 0 else { throw RTMPError("AAC: a frame FFmpeg cannot decode (error \(written))") }
        pending += decoded.prefix(Int(written) * Self.channels)
        var packets: [[UInt8]] = []
        let frame = Self.frameSamples * Self.channels
        var start = 0
        while pending.count - start >= frame {
            var packet = [UInt8](repeating: 0, count: 1500)
            let length = pending.withUnsafeBufferPointer { samples in
                opus_encode(encoder, samples.baseAddress! + start, Int32(Self.frameSamples), &packet, Int32(packet.count))
            }
            guard length > 0 else { throw RTMPError("Opus: a frame did not encode (\(length))") }
            packets.append(Array(packet.prefix(Int(length))))
            start += frame
        }
        pending.removeFirst(start)
        return packets
    }
}

/// An FLV audio tag's body (FLV 10.1, E.4.2.1): AAC only.
public enum FLVAudioTag: Equatable, Sendable {
    /// The AudioSpecificConfig (sent first).
    case configuration([UInt8])
    /// One raw AAC frame.
    case frame([UInt8])

    public init(parsing body: [UInt8]) throws {
        guard body.count >= 2 else { throw RTMPError("FLV: an audio tag shorter than its 2-byte header") }
        let format = body[0] >> 4
        guard format == 10 else { throw RTMPError("FLV: sound format \(format) is not taken; send AAC (format 10)") }
        switch body[1] {
        case 0: self = .configuration(Array(body.dropFirst(2)))
        case 1: self = .frame(Array(body.dropFirst(2)))
        default: throw RTMPError("FLV: AAC packet type \(body[1]) is not 0 or 1")
        }
    }
}
