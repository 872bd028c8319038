
/// `--audio FILE.wav`, a named pipe or `-` carrying WAV (as `ffmpeg -f wav -ar 48000` writes
/// it): 16-bit PCM at 48 kHz, mono or stereo, read as it is needed and paced by the caller. At
/// its end a file starts again with `--loop`; otherwise the input has ended. A pipe's data chunk
/// may say it is empty or endless (a writer that cannot seek back): it is read to its end.
public final class WAVFileSource: AudioSource {
    public let channels: Int
    public let path: String
    public var isRealTime: Bool { false }
    private let reader: FileReader
    private let loop: Bool
    private let dataStart: Int
    /// The data chunk's end for a file that says how long it is; nil to read to the end.
    private let dataEnd: Int?

    public init(path: String, loop: Bool) throws {
        self.path = path
        reader = try FileReader.source(
            path: path, loop: loop, what: "audio file", hint: "give the path of a 48 kHz 16-bit WAV file, or of a named pipe carrying one")
        self.loop = loop
        guard let riff = try reader.read(exactly: 12), riff[0..<4].elementsEqual("RIFF".utf8), riff[8..<12].elementsEqual("WAVE".utf8) else {
            throw MediaError.badFile("\(path) is not a WAV file (no RIFF/WAVE header)")
        }
        var format: (code: Int, channels: Int, rate: Int, bits: Int)?
        while true {
            guard let chunk = try reader.read(exactly: 8) else { throw MediaError.badFile("\(path) has no sound (no data chunk)") }
            let size = Int(chunk[4]) | Int(chunk[5]) << 8 | Int(chunk[6]) << 16 | Int(chunk[7]) << 24
            if chunk[0..<4].elementsEqual("data".utf8) { 
                guard let format else { throw MediaError.badFile("\(path): the data chunk comes before the format chunk") }
                guard format.code == 1 || format.code == 0xFFFE, format.bits == 16, (1...2).contains(format.channels) else {
                    throw MediaError.badFile("\(path) is not 16-bit PCM mono or stereo; convert it (e.g. ffmpeg -i IN -ac 1 -ar 48000 -c:a pcm_s16le OUT.wav)")
                }
                guard format.rate == OpusAudioEncoder.sampleRate else {
                    throw MediaError.badFile("\(path) is \(format.rate) Hz; convert it to 48000 Hz (e.g. ffmpeg -i IN -ar 48000 OUT.wav)")
                }
                channels = format.channels
                dataStart = reader.offset
                // 0 and 0xFFFFFFFF are what streaming writers put when they cannot know.
                dataEnd = reader.canRewind && size != 0 && size != 0xFFFF_FFFF ? dataStart + size : nil
                break
            }
            guard size <= 1 << 20, let body = try reader.read(exactly: size + (size & 1)) else {
                throw MediaError.badFile("\(path): a '\(String(decoding: chunk[0..<4], as: UTF8.self))' chunk of \(size) bytes before the sound")
            }
            if chunk[0..<4].elementsEqual("fmt ".utf8), size >= 16 {
                func u16(_ at: Int) -> Int { Int(body[at]) | Int(body[at + 1]) << 8 }
                format = (u16(0), u16(2), u16(4) | u16(6) << 16, u16(14))
            }
        }
        if let dataEnd, dataEnd - dataStart < OpusAudioEncoder.frameSamples * channels * 2 {
            throw MediaError.badFile("\(path) holds less than 20 ms of sound")
        }
    }

    public func read(frames: Int) throws -> [Int16] {
        if let samples = try readSamples(frames: frames) { return samples }
        guard loop else { throw InputEnded(path: path) }
        try reader.rewind(to: dataStart)
        guard let samples = try readSamples(frames: frames) else { throw MediaError.badFile("\(path) holds less than one frame of sound") }
        return samples
    }

    private func readSamples(frames: Int) throws -> [Int16]? {
        var count = frames * channels * 2
        if let dataEnd { count = min(count, dataEnd - reader.offset) }
        guard count == frames * channels * 2, let bytes = try reader.read(exactly: count) else { return nil }
        return (0..<(frames * channels)).map { Int16(bitPattern: UInt16(bytes[2 * $0]) | UInt16(bytes[2 * $0 + 1]) << 8) }
    }
}
