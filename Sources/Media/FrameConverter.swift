import CV4L2

/// libv4lconvert: picks the device format closest to what was asked and turns its frames (YUYV,
/// MJPEG, RGB and the rest) into I420.
public final class FrameConverter {
    private let data: OpaquePointer
    private let retained: AnyObject?

    /// `retained` keeps whatever the converter's device callbacks point at alive.
    init(data: OpaquePointer, retaining retained: AnyObject? = nil) {
        self.data = data
        self.retained = retained
    }

    deinit { v4lconvert_destroy(data) }

    /// The device format to capture in so that converting gives I420 at (or nearest to) the size
    /// asked, and the I420 size that will come out.
    public func chooseSource(width: Int, height: Int) throws -> (source: CameraFormat, output: CameraFormat) {
        var wanted = CameraFormat(pixelFormat: CameraFormat.i420, width: width, height: height).v4l2
        var source = v4l2_format()
        guard v4lconvert_try_format(data, &wanted, &source) == 0 else {
            throw MediaError.unsupportedFormat("the camera offers no format that converts to I420 (\(message)); try another --size")
        }
        return (CameraFormat(source), CameraFormat(wanted))
    }

    /// Converts one frame captured in `source` into an I420 picture of `output`'s size.
    public func convert(_ frame: [UInt8], from source: CameraFormat, to output: CameraFormat) throws -> I420Frame {
        var sourceFormat = source.v4l2
        var outputFormat = output.v4l2
        outputFormat.fmt.pix.bytesperline = UInt32(output.width)
        outputFormat.fmt.pix.sizeimage = UInt32(I420Frame.byteCount(width: output.width, height: output.height))
        Self.fillLineSizes(&sourceFormat, frameBytes: frame.count)
        var bytes = [UInt8](repeating: 0, count: I420Frame.byteCount(width: output.width, height: output.height))
        let written = frame.withUnsafeBufferPointer { input in
            bytes.withUnsafeMutableBufferPointer { out in
                v4lconvert_convert(data, &sourceFormat, &outputFormat, UnsafeMutablePointer(mutating: input.baseAddress), Int32(input.count), out.baseAddress, Int32(out.count))
            }
        }
        guard written == bytes.count else {
            throw MediaError.unsupportedFormat("cannot convert a \(source) frame of \(frame.count) bytes to I420: \(message)")
        }
        return I420Frame(width: output.width, height: output.height, bytes: bytes)
    }

    private var message: String { String(cString: v4lconvert_get_error_message(data)) }

    /// Packed formats need their line length; compressed ones only the size.
    private static func fillLineSizes(_ format: inout v4l2_format, frameBytes: Int) {
        let width = format.fmt.pix.width
        switch format.fmt.pix.pixelformat {
        case CameraFormat.yuyv: format.fmt.pix.bytesperline = width * 2
        case CameraFormat.rgb24: format.fmt.pix.bytesperline = width * 3
        case CameraFormat.i420: format.fmt.pix.bytesperline = width
        default: format.fmt.pix.bytesperline = 0
        }
        format.fmt.pix.sizeimage = UInt32(frameBytes)
    }
}
