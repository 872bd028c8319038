/// `--video test`: the moving test pattern with the burned-in clock.
public final class TestPatternSource: VideoSource {
    public let pattern: TestPattern
    public let framesPerSecond: Int
    public var width: Int { pattern.width }
    public var height: Int { pattern.height }
    public var isRealTime: Bool { false }
    public var label: String { "test pattern \(width)x\(height)" }
    private var index = 0

    public init(width: Int, height: Int, framesPerSecond: Int) {
        pattern = TestPattern(width: width, height: height)
        self.framesPerSecond = framesPerSecond
    }

    public func next() throws -> I420Frame {
        defer { index += 1 }
        return pattern.frame(index: index)
    }
}
