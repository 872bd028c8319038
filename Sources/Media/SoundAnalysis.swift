/// Measures sound: the frequency of a tone from its zero crossings (tests of the audio path check
/// that a tone comes out at the pitch it went in).
public enum SoundAnalysis {
    public static func frequency(of samples: [Int16], channels: Int = 1, sampleRate: Double = 48_000) -> Double {
        let mono = stride(from: 0, to: samples.count, by: channels).map { samples[$0] }
        guard mono.count > 1 else { return 0 }
        var crossings = 0
        for index in 1..<mono.count where (mono[index - 1] < 0) != (mono[index] < 0) { crossings += 1 }
        return Double(crossings) / 2 / (Double(mono.count) / sampleRate)
    }
}
