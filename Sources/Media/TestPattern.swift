#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The picture of `--video test`: eight colour bars over the top two thirds, and below them a
/// square sliding across and the wall-clock time burned in as seven-segment digits, so a viewer
/// sees motion and can read the delay off the screen.
public struct TestPattern: Sendable {
    /// The bars, left to right (75% bars, as on a test card).
    public static let bars: [RGB] = [
        RGB(191, 191, 191), RGB(191, 191, 0), RGB(0, 191, 191), RGB(0, 191, 0),
        RGB(191, 0, 191), RGB(191, 0, 0), RGB(0, 0, 191), RGB(16, 16, 16),
    ]
    static let strip = RGB(40, 40, 40)
    static let ink = RGB(235, 235, 235)

    public let width: Int
    public let height: Int
    private var background: I420Frame

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
        var frame = I420Frame(width: width, height: height)
        let barHeight = height * 2 / 3
        for (index, colour) in Self.bars.enumerated() {
            let x0 = index * width / Self.bars.count
            let x1 = (index + 1) * width / Self.bars.count
            frame.fill(x: x0, y: 0, width: x1 - x0, height: barHeight, with: colour)
        }
        frame.fill(x: 0, y: barHeight, width: width, height: height - barHeight, with: Self.strip)
        background = frame
    }

    /// The centre of bar `index` in a frame of this size, where its colour is sure to be.
    public func barCentre(_ index: Int) -> (x: Int, y: Int) {
        ((2 * index + 1) * width / (2 * Self.bars.count), height / 3)
    }

    /// Frame number `index` showing the time `date`.
    public func frame(index: Int, at date: Date = Date()) -> I420Frame {
        var frame = background
        let barHeight = height * 2 / 3
        let strip = height - barHeight
        let box = max(4, strip / 3)
        let travel = max(1, width - box)
        let step = max(1, width / 100)
        let position = (index * step) % (2 * travel)
        let x = position < travel ? position : 2 * travel - position
        frame.fill(x: x, y: barHeight + strip / 8, width: box, height: box, with: Self.ink)
        let scale = max(1, strip / 20)
        SevenSegment.draw(Self.clockText(date), into: &frame, x: scale * 2, y: height - scale * 9, scale: scale, colour: Self.ink)
        return frame
    }

    /// "HH:MM:SS.mmm" in UTC.
    static func clockText(_ date: Date) -> String {
        let milliseconds = Int((date.timeIntervalSince1970 * 1000).rounded(.down))
        let ms = milliseconds % 1000
        let seconds = milliseconds / 1000
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let msText = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return "\(two(seconds / 3600 % 24)):\(two(seconds / 60 % 60)):\(two(seconds % 60)).\(msText)"
    }
}
