import CV4L2

/// A capture format: the pixel format's four-character code and the picture size.
public struct CameraFormat: Equatable, Sendable, CustomStringConvertible {
    public var pixelFormat: UInt32
    public var width: Int
    public var height: Int

    public init(pixelFormat: UInt32, width: Int, height: Int) {
        self.pixelFormat = pixelFormat
        self.width = width
        self.height = height
    }

    public static let yuyv = avc_v4l2_pix_fmt_yuyv
    public static let mjpeg = avc_v4l2_pix_fmt_mjpeg
    public static let i420 = avc_v4l2_pix_fmt_yuv420
    public static let rgb24 = avc_v4l2_pix_fmt_rgb24

    /// The code of "YUYV", "MJPG", "RGB3" and so on; nil unless four printable characters.
    public static func code(named name: String) -> UInt32? {
        let bytes = Array(name.utf8)
        guard bytes.count == 4, bytes.allSatisfy({ (0x20...0x7E).contains($0) }) else { return nil }
        return bytes.enumerated().reduce(0) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
    }

    /// "YUYV", "MJPG" and so on.
    public static func name(of code: UInt32) -> String {
        String(decoding: (0..<4).map { UInt8(truncatingIfNeeded: code >> (8 * $0)) }, as: UTF8.self)
    }

    public var description: String { "\(Self.name(of: pixelFormat)) \(width)x\(height)" }

    /// As the kernel's structure.
    var v4l2: v4l2_format {
        var format = v4l2_format()
        format.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        format.fmt.pix.pixelformat = pixelFormat
        format.fmt.pix.width = UInt32(width)
        format.fmt.pix.height = UInt32(height)
        format.fmt.pix.field = V4L2_FIELD_NONE.rawValue
        return format
    }

    init(_ format: v4l2_format) {
        self.init(pixelFormat: format.fmt.pix.pixelformat, width: Int(format.fmt.pix.width), height: Int(format.fmt.pix.height))
    }
}
