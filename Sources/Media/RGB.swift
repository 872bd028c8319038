/// An 8-bit RGB colour, with the BT.601 studio-range conversions the camera path and the terminal
/// renderer share.
public struct RGB: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    public init(yuv: (y: UInt8, u: UInt8, v: UInt8)) {
        let c = 298 * (Int(yuv.y) - 16)
        let d = Int(yuv.u) - 128
        let e = Int(yuv.v) - 128
        r = Self.clamp((c + 409 * e + 128) >> 8)
        g = Self.clamp((c - 100 * d - 208 * e + 128) >> 8)
        b = Self.clamp((c + 516 * d + 128) >> 8)
    }

    public var yuv: (UInt8, UInt8, UInt8) {
        let r = Int(r), g = Int(g), b = Int(b)
        let y = ((66 * r + 129 * g + 25 * b + 128) >> 8) + 16
        let u = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128
        let v = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128
        return (Self.clamp(y), Self.clamp(u), Self.clamp(v))
    }

    /// The largest difference of one channel: how far two colours are apart.
    public func distance(to other: RGB) -> Int {
        max(abs(Int(r) - Int(other.r)), abs(Int(g) - Int(other.g)), abs(Int(b) - Int(other.b)))
    }

    public var description: String { "rgb(\(r),\(g),\(b))" }

    static func clamp(_ value: Int) -> UInt8 { UInt8(max(0, min(255, value))) }
}
