import Foundation
import Testing

@testable import Media

@Suite struct SoundAnalysisTests {
    static func tone(_ frequency: Double, samples: Int, phase: Double = 0) -> [Int16] {
        (0..<samples).map { Int16(8_000 * sin(phase + 2 * Double.pi * frequency * Double($0) / 48_000)) }
    }

    @Test func aPureToneIsMeasuredAtItsFrequency() {
        #expect(abs(SoundAnalysis.frequency(of: Self.tone(440, samples: 48_000)) - 440) < 0.1)
        #expect(abs(SoundAnalysis.frequency(of: Self.tone(1_000, samples: 24_000)) - 1_000) < 0.5)
    }

    /// What a guest that falls behind real time records: the tone cut every 60 ms where the capture
    /// overran, going on at another phase, with 20 ms of silence now and then. Counting crossings
    /// read this 1 s of sound as 445 Hz or more.
    @Test func aToneSplicedAtOverrunsIsStillMeasuredAtItsFrequency() {
        var spliced: [Int16] = []
        for piece in 0..<16 {
            spliced += Self.tone(440, samples: 2_880, phase: Double(piece) * 1.7)
            if piece % 4 == 3 { spliced += [Int16](repeating: 0, count: 960) }
        }
        let crossings = zip(spliced.dropFirst(), spliced).filter { ($0 < 0) != ($1 < 0) }.count
        #expect(Double(crossings) / 2 / (Double(spliced.count) / 48_000) < 435, "the splices do disturb a count")
        #expect(abs(SoundAnalysis.frequency(of: spliced) - 440) < 1)
    }

    @Test func silenceHasNoFrequency() {
        #expect(SoundAnalysis.frequency(of: [Int16](repeating: 0, count: 4_800)) == 0)
        #expect(SoundAnalysis.frequency(of: []) == 0)
    }
}
