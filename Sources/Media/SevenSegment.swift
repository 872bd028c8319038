/// Draws digits, ':' and '.' as seven-segment glyphs: a clock readable at any size without a font.
enum SevenSegment {
    // Segments a-g as (x, y, width, height) in units of a 4 x 7 cell.
    private static let segments: [(Int, Int, Int, Int)] = [
        (0, 0, 4, 1), (3, 0, 1, 4), (3, 3, 1, 4), (0, 6, 4, 1), (0, 3, 1, 4), (0, 0, 1, 4), (0, 3, 4, 1),
    ]
    private static let digits: [[Int]] = [
        [0, 1, 2, 3, 4, 5], [1, 2], [0, 1, 6, 4, 3], [0, 1, 6, 2, 3], [5, 6, 1, 2],
        [0, 5, 6, 2, 3], [0, 5, 4, 3, 2, 6], [0, 1, 2], [0, 1, 2, 3, 4, 5, 6], [0, 1, 2, 3, 5, 6],
    ]

    static func draw(_ text: String, into frame: inout I420Frame, x: Int, y: Int, scale: Int, colour: RGB) {
        var cursor = x
        for character in text {
            switch character {
            case ":":
                frame.fill(x: cursor, y: y + 2 * scale, width: scale, height: scale, with: colour)
                frame.fill(x: cursor, y: y + 4 * scale, width: scale, height: scale, with: colour)
                cursor += 2 * scale
            case ".":
                frame.fill(x: cursor, y: y + 6 * scale, width: scale, height: scale, with: colour)
                cursor += 2 * scale
            default:
                guard let digit = character.wholeNumberValue else { continue }
                for segment in digits[digit] {
                    let (sx, sy, sw, sh) = segments[segment]
                    frame.fill(x: cursor + sx * scale, y: y + sy * scale, width: sw * scale, height: sh * scale, with: colour)
                }
                cursor += 5 * scale
            }
        }
    }
}
