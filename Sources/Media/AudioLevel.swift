#if canImport(Glibc)
import Glibc
#endif

/// How loud a frame of sound is, for the status line's meter.
public struct AudioLevel: Sendable, Equatable {
    /// Peak level in dBFS (0 is full scale; -90 is silence).
    public var peakDecibels: Double

    public init(samples: [Int16]) {
        let peak = samples.reduce(0) { max($0, abs(Int($1))) }
        peakDecibels = peak == 0 ? -90 : max(-90, 20 * log10(Double(peak) / 32768))
    }

    public init(peakDecibels: Double) { self.peakDecibels = peakDecibels }

    /// A meter of `width` cells covering -60 to 0 dBFS.
    public func meter(width: Int = 10) -> String {
        let filled = max(0, min(width, Int(((peakDecibels + 60) / 60 * Double(width)).rounded())))
        return String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
    }
}
