#if canImport(Glibc)
import Glibc
#endif


/// `--audio test`: a sine tone (440 Hz by default) at -12 dBFS on every channel.
public final class ToneSource: AudioSource {
    public let channels: Int
    public let frequency: Double
    public var isRealTime: Bool { false }
    private var phase = 0.0

    public init(channels: Int = 1, frequency: Double = 440) {
        self.channels = channels
        self.frequency = frequency
    }

    public func read(frames: Int) throws -> [Int16] {
        let step = 2 * Double.pi * frequency / Double(OpusAudioEncoder.sampleRate)
        var samples = [Int16](repeating: 0, count: frames * channels)
        for index in 0..<frames {
            let value = Int16(sin(phase) * 8192)
            for channel in 0..<channels { samples[index * channels + channel] = value }
            phase += step
            if phase > 2 * Double.pi { phase -= 2 * Double.pi }
        }
        return samples
    }
}
