#if canImport(Glibc)
import Glibc
#endif
import CV4L2

/// A camera without a kernel: answers libv4lconvert's questions (capabilities, formats, sizes)
/// as a YUYV webcam with a few fixed sizes would, and gives the test pattern in YUYV. It runs the
/// whole capture path but the kernel calls where no camera exists (`--video emulated`, tests).
public final class EmulatedCamera: CameraDevice {
    public let name = "emulated camera"
    public var isRealTime: Bool { false }
    /// The sizes a small webcam typically offers.
    public static let sizes = [(640, 480), (320, 240), (1280, 720)]
    public let pixelFormats: [UInt32]
    private var format = CameraFormat(pixelFormat: CameraFormat.yuyv, width: 640, height: 480)
    private var pattern = TestPattern(width: 640, height: 480)
    private var index = 0

    public init(pixelFormats: [UInt32] = [CameraFormat.yuyv]) {
        self.pixelFormats = pixelFormats
    }

    public func makeConverter() throws -> FrameConverter {
        // libv4lconvert keeps the pointer to the operations, not a copy: they live on the heap,
        // as long as the converter.
        let operations = DeviceOperations(camera: self)
        let pointer = Unmanaged.passUnretained(self).toOpaque()
        guard let data = v4lconvert_create_with_dev_ops(-1, pointer, operations.pointer) else {
            throw MediaError.deviceFailed("libv4lconvert could not start")
        }
        return FrameConverter(data: data, retaining: operations)
    }

    /// The device operations libv4lconvert calls, and the camera they answer for.
    private final class DeviceOperations {
        let pointer = UnsafeMutablePointer<libv4l_dev_ops>.allocate(capacity: 1)
        let camera: EmulatedCamera

        init(camera: EmulatedCamera) {
            self.camera = camera
            var operations = libv4l_dev_ops()
            operations.ioctl = { private_, _, request, argument in
                guard let private_, let argument else { return -1 }
                let camera = Unmanaged<EmulatedCamera>.fromOpaque(private_).takeUnretainedValue()
                return camera.answer(request, argument)
            }
            operations.close = { _ in }
            pointer.initialize(to: operations)
        }

        deinit {
            pointer.deinitialize(count: 1)
            pointer.deallocate()
        }
    }

    public func setFormat(_ wanted: CameraFormat) throws -> CameraFormat {
        var kernel = wanted.v4l2
        tryFormat(&kernel)
        format = CameraFormat(kernel)
        pattern = TestPattern(width: format.width, height: format.height)
        return format
    }

    public func start(framesPerSecond: Int) throws {}

    public func readFrame() throws -> [UInt8] {
        defer { index += 1 }
        let picture = pattern.frame(index: index)
        switch format.pixelFormat {
        case CameraFormat.rgb24: return Self.rgb24(picture)
        default: return Self.yuyv(picture)
        }
    }

    /// Packs an I420 picture as YUYV 4:2:2 (what most USB webcams send uncompressed).
    static func yuyv(_ picture: I420Frame) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: picture.width * picture.height * 2)
        for y in 0..<picture.height {
            for x in stride(from: 0, to: picture.width, by: 2) {
                let (y0, u, v) = picture.yuv(x: x, y: y)
                let y1 = picture.yuv(x: x + 1, y: y).y
                let at = (y * picture.width + x) * 2
                out[at] = y0
                out[at + 1] = u
                out[at + 2] = y1
                out[at + 3] = v
            }
        }
        return out
    }

    static func rgb24(_ picture: I420Frame) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: picture.width * picture.height * 3)
        for y in 0..<picture.height {
            for x in 0..<picture.width {
                let colour = picture.rgb(x: x, y: y)
                let at = (y * picture.width + x) * 3
                (out[at], out[at + 1], out[at + 2]) = (colour.r, colour.g, colour.b)
            }
        }
        return out
    }

    /// The ioctls libv4lconvert asks a device; anything else is "not supported" (EINVAL).
    private func answer(_ request: UInt, _ argument: UnsafeMutableRawPointer) -> Int32 {
        switch request {
        case avc_vidioc_querycap:
            let capability = argument.assumingMemoryBound(to: v4l2_capability.self)
            capability.pointee = v4l2_capability()
            withUnsafeMutableBytes(of: &capability.pointee.driver) { copyName("avcluster", into: $0) }
            withUnsafeMutableBytes(of: &capability.pointee.card) { copyName(name, into: $0) }
            capability.pointee.capabilities = UInt32(V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING) | UInt32(V4L2_CAP_DEVICE_CAPS)
            capability.pointee.device_caps = UInt32(V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING)
            return 0
        case avc_vidioc_enum_fmt:
            let description = argument.assumingMemoryBound(to: v4l2_fmtdesc.self)
            let index = Int(description.pointee.index)
            guard description.pointee.type == V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue, index < pixelFormats.count else { return invalid() }
            description.pointee.pixelformat = pixelFormats[index]
            description.pointee.flags = 0
            withUnsafeMutableBytes(of: &description.pointee.description) { copyName(CameraFormat.name(of: pixelFormats[index]), into: $0) }
            return 0
        case avc_vidioc_enum_framesizes:
            let sizes = argument.assumingMemoryBound(to: v4l2_frmsizeenum.self)
            let index = Int(sizes.pointee.index)
            guard pixelFormats.contains(sizes.pointee.pixel_format), index < Self.sizes.count else { return invalid() }
            sizes.pointee.type = V4L2_FRMSIZE_TYPE_DISCRETE.rawValue
            sizes.pointee.discrete = v4l2_frmsize_discrete(width: UInt32(Self.sizes[index].0), height: UInt32(Self.sizes[index].1))
            return 0
        case avc_vidioc_try_fmt, avc_vidioc_s_fmt:
            let format = argument.assumingMemoryBound(to: v4l2_format.self)
            guard format.pointee.type == V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue else { return invalid() }
            tryFormat(&format.pointee)
            return 0
        case avc_vidioc_g_fmt:
            let format = argument.assumingMemoryBound(to: v4l2_format.self)
            format.pointee = self.format.v4l2
            tryFormat(&format.pointee)
            return 0
        default:
            return invalid()
        }
    }

    /// What a driver does with a format request: a format it has, the nearest size it has.
    private func tryFormat(_ format: inout v4l2_format) {
        if !pixelFormats.contains(format.fmt.pix.pixelformat) { format.fmt.pix.pixelformat = pixelFormats[0] }
        let (w, h) = (Int(format.fmt.pix.width), Int(format.fmt.pix.height))
        let nearest = Self.sizes.min { abs($0.0 - w) + abs($0.1 - h) < abs($1.0 - w) + abs($1.1 - h) }!
        format.fmt.pix.width = UInt32(nearest.0)
        format.fmt.pix.height = UInt32(nearest.1)
        format.fmt.pix.field = V4L2_FIELD_NONE.rawValue
        let bytesPerPixel: UInt32 = format.fmt.pix.pixelformat == CameraFormat.rgb24 ? 3 : 2
        format.fmt.pix.bytesperline = format.fmt.pix.width * bytesPerPixel
        format.fmt.pix.sizeimage = format.fmt.pix.bytesperline * format.fmt.pix.height
    }

    private func invalid() -> Int32 {
        errno = EINVAL
        return -1
    }

    private func copyName(_ text: String, into buffer: UnsafeMutableRawBufferPointer) {
        let bytes = Array(text.utf8.prefix(buffer.count - 1))
        buffer.copyBytes(from: bytes + [0])
    }
}
