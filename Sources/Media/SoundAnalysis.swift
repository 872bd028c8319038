/// Measures sound: the frequency of a tone (tests of the audio path check that a tone comes out
/// at the pitch it went in).
public enum SoundAnalysis {
    /// The tone's frequency from the median period between upward zero crossings, each placed
    /// between its two samples: a splice, where a capture overran or a packet was lost, disturbs
    /// one or two periods, which the median does not see, where a count of crossings would.
    public static func frequency(of samples: [Int16], channels: Int = 1, sampleRate: Double = 48_000) -> Double {
        let mono = stride(from: 0, to: samples.count, by: channels).map { Double(samples[$0]) }
        var crossings: [Double] = []
        for index in mono.indices.dropFirst() where mono[index - 1] < 0 && mono[index] >= 0 {
            crossings.append(Double(index - 1) + -mono[index - 1] / (mono[index] - mono[index - 1]))
        }
        let periods = zip(crossings.dropFirst(), crossings).map { $0 - $1 }.sorted()
        guard !periods.isEmpty else { return 0 }
        return sampleRate / periods[periods.count / 2]
    }
}
