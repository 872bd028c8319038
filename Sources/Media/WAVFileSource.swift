#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// `--audio FILE.wav`: 16-bit PCM at 48 kHz, mono or stereo, played in a loop.
public final class WAVFileSource: AudioSource {
    public let channels: Int
    public var isRealTime: Bool { false }
    private let samples: [Int16]
    private var position = 0

    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MediaError.noDevice("audio file \(path)", hint: "give the path of a 48 kHz 16-bit WAV file")
        }
        let wave = try WAVFormat(parsing: [UInt8](data), path: path)
        guard wave.sampleRate == OpusAudioEncoder.sampleRate else {
            throw MediaError.badFile("\(path) is \(wave.sampleRate) Hz; convert it to 48000 Hz (e.g. sox in.wav -r 48000 out.wav)")
        }
        guard wave.samples.count >= OpusAudioEncoder.frameSamples * wave.channels else {
            throw MediaError.badFile("\(path) holds less than 20 ms of sound")
        }
        channels = wave.channels
        samples = wave.samples
    }

    public func read(frames: Int) throws -> [Int16] {
        let count = frames * channels
        var frame: [Int16] = []
        frame.reserveCapacity(count)
        while frame.count < count {
            let take = min(count - frame.count, samples.count - position)
            frame += samples[position..<(position + take)]
            position = (position + take) % samples.count
        }
        return frame
    }
}
