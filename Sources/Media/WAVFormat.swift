/// A RIFF WAVE file of 16-bit PCM: reading (the broadcaster's `--audio FILE.wav`) and writing
/// (the viewer's `--audio-out`).
public struct WAVFormat: Sendable {
    public var sampleRate: Int
    public var channels: Int
    /// Interleaved samples.
    public var samples: [Int16]

    public init(sampleRate: Int, channels: Int, samples: [Int16]) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.samples = samples
    }

    public init(parsing bytes: [UInt8], path: String) throws {
        func u32(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24 }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        guard bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WAVE".utf8) else {
            throw MediaError.badFile("\(path) is not a WAV file (no RIFF/WAVE header)")
        }
        var offset = 12
        var format: (rate: Int, channels: Int, bits: Int, code: Int)?
        while offset + 8 <= bytes.count {
            let size = u32(offset + 4)
            let body = offset + 8
            let end = min(bytes.count, body + size)
            if bytes[offset..<(offset + 4)].elementsEqual("fmt ".utf8), size >= 16, body + 16 <= bytes.count {
                format = (u32(body + 4), u16(body + 2), u16(body + 14), u16(body))
            } else if bytes[offset..<(offset + 4)].elementsEqual("data".utf8) {
                guard let format else { throw MediaError.badFile("\(path): the data chunk comes before the format chunk") }
                guard format.code == 1 || format.code == 0xFFFE, format.bits == 16, (1...2).contains(format.channels) else {
                    throw MediaError.badFile("\(path) is not 16-bit PCM mono or stereo; convert it (e.g. sox in.wav -b 16 out.wav)")
                }
                var samples = [Int16](repeating: 0, count: (end - body) / 2)
                for index in samples.indices { samples[index] = Int16(bitPattern: UInt16(u16(body + 2 * index))) }
                self.init(sampleRate: format.rate, channels: format.channels, samples: samples)
                return
            }
            offset = body + size + (size & 1)
        }
        throw MediaError.badFile("\(path) has no sound (no data chunk)")
    }

    /// The whole file.
    public var bytes: [UInt8] { Self.header(sampleRate: sampleRate, channels: channels, dataBytes: samples.count * 2) + Self.littleEndian(samples) }

    /// A header for `dataBytes` of samples (a streaming writer patches the sizes at the end).
    public static func header(sampleRate: Int, channels: Int, dataBytes: Int) -> [UInt8] {
        func u32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        func u16(_ v: Int) -> [UInt8] { (0..<2).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        return Array("RIFF".utf8) + u32(36 + dataBytes) + Array("WAVEfmt ".utf8) + u32(16) + u16(1) + u16(channels)
            + u32(sampleRate) + u32(sampleRate * channels * 2) + u16(channels * 2) + u16(16) + Array("data".utf8) + u32(dataBytes)
    }

    public static func littleEndian(_ samples: [Int16]) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: samples.count * 2)
        for (index, sample) in samples.enumerated() {
            let value = UInt16(bitPattern: sample)
            bytes[2 * index] = UInt8(value & 0xFF)
            bytes[2 * index + 1] = UInt8(value >> 8)
        }
        return bytes
    }
}
