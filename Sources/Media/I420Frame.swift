/// One picture in I420 (YUV 4:2:0 planar): the full-size luma plane, then the quarter-size U and V
/// planes, each row packed without padding. What the camera path produces, the VP8 encoder takes
/// and the decoder gives back.
public struct I420Frame: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var bytes: [UInt8]

    public var chromaWidth: Int { (width + 1) / 2 }
    public var chromaHeight: Int { (height + 1) / 2 }
    public var uOffset: Int { width * height }
    public var vOffset: Int { uOffset + chromaWidth * chromaHeight }
    public static func byteCount(width: Int, height: Int) -> Int { width * height + 2 * ((width + 1) / 2) * ((height + 1) / 2) }

    /// A frame of one colour.
    public init(width: Int, height: Int, y: UInt8 = 16, u: UInt8 = 128, v: UInt8 = 128) {
        self.width = width
        self.height = height
        let luma = width * height
        let chroma = ((width + 1) / 2) * ((height + 1) / 2)
        bytes = [UInt8](repeating: y, count: luma) + [UInt8](repeating: u, count: chroma) + [UInt8](repeating: v, count: chroma)
    }

    public init(width: Int, height: Int, bytes: [UInt8]) {
        precondition(bytes.count == Self.byteCount(width: width, height: height), "I420 size mismatch")
        self.width = width
        self.height = height
        self.bytes = bytes
    }

    /// The Y, U and V samples at a pixel.
    public func yuv(x: Int, y: Int) -> (y: UInt8, u: UInt8, v: UInt8) {
        let chroma = (y / 2) * chromaWidth + x / 2
        return (bytes[y * width + x], bytes[uOffset + chroma], bytes[vOffset + chroma])
    }

    /// The colour at a pixel as 8-bit RGB (BT.601, studio range).
    public func rgb(x: Int, y: Int) -> RGB { RGB(yuv: yuv(x: x, y: y)) }

    /// Fills a rectangle (clipped to the frame) with one colour.
    public mutating func fill(x: Int, y: Int, width w: Int, height h: Int, with colour: RGB) {
        let (cy, cu, cv) = colour.yuv
        let x0 = max(0, x), y0 = max(0, y), x1 = min(width, x + w), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        let (width, chromaWidth, uOffset, vOffset) = (width, chromaWidth, uOffset, vOffset)
        bytes.withUnsafeMutableBufferPointer { plane in
            for row in y0..<y1 {
                let start = row * width
                for column in x0..<x1 { plane[start + column] = cy }
            }
            for row in (y0 / 2)..<((y1 + 1) / 2) {
                let start = row * chromaWidth
                for column in (x0 / 2)..<((x1 + 1) / 2) {
                    plane[uOffset + start + column] = cu
                    plane[vOffset + start + column] = cv
                }
            }
        }
    }
}
