import Testing

@testable import Media

@Suite struct VP8RoundTripTests {
    @Test func theTestPatternsColoursSurviveEncoding() throws {
        let source = TestPatternSource(width: 320, height: 240, framesPerSecond: 25)
        let encoder = try VP8Encoder(.init(width: 320, height: 240, framesPerSecond: 25, kilobitsPerSecond: 500, keyframeInterval: 10))
        let decoder = try VP8Decoder()
        var keyframes: [Int] = []
        var last: I420Frame?
        for index in 0..<30 {
            for frame in try encoder.encode(try source.next()) {
                if frame.isKeyframe { keyframes.append(index) }
                last = try decoder.decode(frame.bytes) ?? last
            }
        }
        #expect(keyframes == [0, 10, 20])
        let picture = try #require(last)
        #expect(picture.width == 320 && picture.height == 240)
        for (index, colour) in TestPattern.bars.enumerated() {
            let centre = source.pattern.barCentre(index)
            let decoded = picture.rgb(x: centre.x, y: centre.y)
            #expect(decoded.distance(to: colour) < 24, "bar \(index): \(decoded) for \(colour)")
        }
    }

    @Test func aKeyframeComesAtOnceWhenAsked() throws {
        let source = TestPatternSource(width: 160, height: 120, framesPerSecond: 25)
        let encoder = try VP8Encoder(.init(width: 160, height: 120, keyframeInterval: 100))
        var flags: [Bool] = []
        for index in 0..<6 { flags += try encoder.encode(try source.next(), keyframe: index == 4).map(\.isKeyframe) }
        #expect(flags == [true, false, false, false, true, false])
    }

    @Test func oddSizesAndGarbageAreRefused() throws {
        #expect(throws: MediaError.self) { try VP8Encoder(.init(width: 161, height: 120)) }
        let decoder = try VP8Decoder()
        #expect(throws: MediaError.self) { try decoder.decode([0x00, 0x01, 0x02, 0x03]) }
    }
}
