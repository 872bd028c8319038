#if canImport(Glibc)
import Glibc
#endif
import CV4L2

/// A real camera through libv4l2: memory-mapped streaming of the device's own format (libv4l2's
/// conversion is off; `FrameConverter` does it, so the same path serves the emulated camera).
public final class V4L2Device: CameraDevice {
    public let name: String
    public var isRealTime: Bool { true }
    private let fd: Int32
    private var buffers: [(pointer: UnsafeMutableRawPointer, length: Int)] = []
    private var streaming = false

    public init(path: String) throws {
        let raw = open(path, O_RDWR)
        guard raw >= 0 else {
            let code = errno
            switch code {
            case ENOENT, ENODEV, ENXIO:
                throw MediaError.noDevice("camera \(path)", hint: "plug one in, name another with --video /dev/videoN (ls /dev/video*), or use --video test")
            case EACCES, EPERM:
                throw MediaError.permissionDenied("camera \(path)", hint: "add yourself to the 'video' group (sudo usermod -aG video $USER) and log in again")
            default:
                throw MediaError.deviceFailed("cannot open camera \(path): \(String(cString: strerror(code)))")
            }
        }
        guard v4l2_fd_open(raw, Int32(V4L2_DISABLE_CONVERSION)) >= 0 else {
            close(raw)
            throw MediaError.deviceFailed("libv4l2 cannot use \(path): \(String(cString: strerror(errno)))")
        }
        fd = raw
        name = path
        var capability = v4l2_capability()
        guard avc_v4l2_ioctl(fd, avc_vidioc_querycap, &capability) == 0,
            capability.capabilities & UInt32(V4L2_CAP_VIDEO_CAPTURE) != 0, capability.capabilities & UInt32(V4L2_CAP_STREAMING) != 0
        else {
            v4l2_close(fd)
            throw MediaError.unsupportedFormat("\(path) is not a streaming video capture device; name the camera's node with --video")
        }
    }

    deinit {
        if streaming {
            var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
            _ = avc_v4l2_ioctl(fd, avc_vidioc_streamoff, &type)
        }
        for buffer in buffers { v4l2_munmap(buffer.pointer, buffer.length) }
        v4l2_close(fd)
    }

    public func makeConverter() throws -> FrameConverter {
        guard let data = v4lconvert_create(fd) else { throw MediaError.deviceFailed("libv4lconvert cannot use \(name)") }
        return FrameConverter(data: data)
    }

    public func setFormat(_ wanted: CameraFormat) throws -> CameraFormat {
        var format = wanted.v4l2
        guard avc_v4l2_ioctl(fd, avc_vidioc_s_fmt, &format) == 0 else {
            throw MediaError.unsupportedFormat("\(name) refused \(wanted): \(String(cString: strerror(errno)))")
        }
        return CameraFormat(format)
    }

    public func start(framesPerSecond: Int) throws {
        var parameters = v4l2_streamparm()
        parameters.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        parameters.parm.capture.timeperframe = v4l2_fract(numerator: 1, denominator: UInt32(framesPerSecond))
        _ = avc_v4l2_ioctl(fd, avc_vidioc_s_parm, &parameters)  // a camera without frame-rate control keeps its own

        var request = v4l2_requestbuffers()
        request.count = 4
        request.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        request.memory = V4L2_MEMORY_MMAP.rawValue
        guard avc_v4l2_ioctl(fd, avc_vidioc_reqbufs, &request) == 0, request.count > 0 else {
            throw MediaError.deviceFailed("\(name) gave no capture buffers: \(String(cString: strerror(errno)))")
        }
        for index in 0..<request.count {
            var buffer = describedBuffer(index: index)
            guard avc_v4l2_ioctl(fd, avc_vidioc_querybuf, &buffer) == 0,
                let pointer = v4l2_mmap(nil, Int(buffer.length), PROT_READ | PROT_WRITE, MAP_SHARED, fd, Int64(buffer.m.offset)),
                pointer != MAP_FAILED
            else { throw MediaError.deviceFailed("cannot map capture buffer \(index) of \(name): \(String(cString: strerror(errno)))") }
            buffers.append((pointer, Int(buffer.length)))
            guard avc_v4l2_ioctl(fd, avc_vidioc_qbuf, &buffer) == 0 else {
                throw MediaError.deviceFailed("cannot queue capture buffer \(index) of \(name): \(String(cString: strerror(errno)))")
            }
        }
        var type = Int32(V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue)
        guard avc_v4l2_ioctl(fd, avc_vidioc_streamon, &type) == 0 else {
            throw MediaError.deviceFailed("\(name) would not start streaming: \(String(cString: strerror(errno))); is another program using it?")
        }
        streaming = true
    }

    public func readFrame() throws -> [UInt8] {
        var buffer = describedBuffer(index: 0)
        while avc_v4l2_ioctl(fd, avc_vidioc_dqbuf, &buffer) != 0 {
            guard errno == EINTR || errno == EAGAIN else {
                throw MediaError.deviceFailed("the camera \(name) stopped: \(String(cString: strerror(errno))); was it unplugged?")
            }
        }
        let mapped = buffers[Int(buffer.index)]
        let frame = [UInt8](UnsafeRawBufferPointer(start: mapped.pointer, count: min(Int(buffer.bytesused), mapped.length)))
        _ = avc_v4l2_ioctl(fd, avc_vidioc_qbuf, &buffer)
        return frame
    }

    private func describedBuffer(index: UInt32) -> v4l2_buffer {
        var buffer = v4l2_buffer()
        buffer.index = index
        buffer.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
        buffer.memory = V4L2_MEMORY_MMAP.rawValue
        return buffer
    }
}
