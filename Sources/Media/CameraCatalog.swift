#if canImport(Glibc)
import Glibc
#endif
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import CV4L2


/// The cameras on this machine as the kernel describes them (`broadcaster devices`): every
/// /dev/video* node that captures video, with the formats, sizes and frame rates it offers, read
/// through the real V4L2 ioctls (QUERYCAP, ENUM_FMT, ENUM_FRAMESIZES, ENUM_FRAMEINTERVALS).
public enum CameraCatalog {
    public struct Camera: Sendable, Equatable {
        public var path: String
        public var card: String
        public var driver: String
        public var bus: String
        public var formats: [Format]
    }

    public struct Format: Sendable, Equatable {
        /// The four-character code, as `--pixel-format` takes it ("YUYV", "MJPG").
        public var code: String
        public var description: String
        public var compressed: Bool
        public var sizes: [Size]
    }

    public struct Size: Sendable, Equatable, CustomStringConvertible {
        public var width: Int
        public var height: Int
        /// Frames per second the device offers at this size, fastest first (empty when it does not say).
        public var rates: [Double]
        /// A range the device accepts instead of fixed sizes ("320x240 to 1920x1080").
        public var upTo: (width: Int, height: Int)?

        public static func == (a: Size, b: Size) -> Bool {
            a.width == b.width && a.height == b.height && a.rates == b.rates && a.upTo?.width == b.upTo?.width && a.upTo?.height == b.upTo?.height
        }

        public var description: String {
            let size = upTo.map { "\(width)x\(height) to \($0.width)x\($0.height)" } ?? "\(width)x\(height)"
            guard !rates.isEmpty else { return size }
            return size + " at " + rates.map(Self.rate).joined(separator: ", ") + " fps"
        }

        static func rate(_ fps: Double) -> String { fps == fps.rounded() ? String(Int(fps)) : String((fps * 100).rounded() / 100) }
    }

    /// A node that is there but could not be read, with why.
    public struct Refusal: Sendable, Equatable {
        public var path: String
        public var error: MediaError
    }

    /// Every capture node under /dev (video0, video1, ...), and the nodes that could not be opened.
    public static func scan(directory: String = "/dev") -> (cameras: [Camera], refused: [Refusal]) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
            .filter { $0.hasPrefix("video") && Int($0.dropFirst(5)) != nil }
            .sorted { Int($0.dropFirst(5))! < Int($1.dropFirst(5))! }
        var cameras: [Camera] = []
        var refused: [Refusal] = []
        for name in names {
            let path = directory + "/" + name
            do {
                if let camera = try describe(path: path) { cameras.append(camera) }
            } catch let error as MediaError {
                refused.append(Refusal(path: path, error: error))
            } catch {
                refused.append(Refusal(path: path, error: .deviceFailed("\(path): \(error)")))
            }
        }
        return (cameras, refused)
    }

    /// The node at `path`, or nil when it is not a video capture node (an output, a metadata or
    /// a VBI node of the same device).
    public static func describe(path: String) throws -> Camera? {
        let fd = open(path, O_RDWR | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            switch code {
            case EACCES, EPERM:
                throw MediaError.permissionDenied("camera \(path)", hint: "add yourself to the 'video' group (sudo usermod -aG video $USER) and log in again")
            case ENOENT, ENODEV, ENXIO:
                throw MediaError.noDevice("camera \(path)", hint: "it went away while being listed")
            default:
                throw MediaError.deviceFailed("cannot open \(path): \(String(cString: strerror(code)))")
            }
        }
        defer { close(fd) }
        var capability = v4l2_capability()
        guard avc_ioctl(fd, avc_vidioc_querycap, &capability) == 0 else {
            throw MediaError.deviceFailed("\(path) does not answer VIDIOC_QUERYCAP (\(String(cString: strerror(errno)))): not a V4L2 device?")
        }
        // A multi-node device reports what this node does in device_caps.
        let caps = capability.capabilities & UInt32(V4L2_CAP_DEVICE_CAPS) != 0 ? capability.device_caps : capability.capabilities
        guard caps & UInt32(V4L2_CAP_VIDEO_CAPTURE) != 0, caps & UInt32(V4L2_CAP_STREAMING) != 0 else { return nil }
        return Camera(
            path: path, card: text(capability.card), driver: text(capability.driver), bus: text(capability.bus_info),
            formats: formats(fd))
    }

    private static func formats(_ fd: Int32) -> [Format] {
        var formats: [Format] = []
        for index in 0..<64 {
            var description = v4l2_fmtdesc()
            description.index = UInt32(index)
            description.type = V4L2_BUF_TYPE_VIDEO_CAPTURE.rawValue
            guard avc_ioctl(fd, avc_vidioc_enum_fmt, &description) == 0 else { break }
            formats.append(Format(
                code: String(CameraFormat.name(of: description.pixelformat).filter { $0 != " " }),
                description: text(description.description),
                compressed: description.flags & UInt32(V4L2_FMT_FLAG_COMPRESSED) != 0,
                sizes: sizes(fd, pixelFormat: description.pixelformat)))
        }
        return formats
    }

    private static func sizes(_ fd: Int32, pixelFormat: UInt32) -> [Size] {
        var sizes: [Size] = []
        for index in 0..<64 {
            var size = v4l2_frmsizeenum()
            size.index = UInt32(index)
            size.pixel_format = pixelFormat
            guard avc_ioctl(fd, avc_vidioc_enum_framesizes, &size) == 0 else { break }
            if size.type == V4L2_FRMSIZE_TYPE_DISCRETE.rawValue {
                let (width, height) = (Int(size.discrete.width), Int(size.discrete.height))
                sizes.append(Size(width: width, height: height, rates: rates(fd, pixelFormat: pixelFormat, width: width, height: height)))
            } else {
                let range = size.stepwise
                let (width, height) = (Int(range.min_width), Int(range.min_height))
                sizes.append(Size(width: width, height: height, rates: rates(fd, pixelFormat: pixelFormat, width: width, height: height),
                                  upTo: (Int(range.max_width), Int(range.max_height))))
                break
            }
        }
        return sizes
    }

    private static func rates(_ fd: Int32, pixelFormat: UInt32, width: Int, height: Int) -> [Double] {
        var rates: [Double] = []
        for index in 0..<64 {
            var interval = v4l2_frmivalenum()
            interval.index = UInt32(index)
            interval.pixel_format = pixelFormat
            interval.width = UInt32(width)
            interval.height = UInt32(height)
            guard avc_ioctl(fd, avc_vidioc_enum_frameintervals, &interval) == 0 else { break }
            let fraction = interval.type == V4L2_FRMIVAL_TYPE_DISCRETE.rawValue ? interval.discrete : interval.stepwise.min
            if fraction.numerator > 0 { rates.append(Double(fraction.denominator) / Double(fraction.numerator)) }
            if interval.type != V4L2_FRMIVAL_TYPE_DISCRETE.rawValue { break }
        }
        return rates.sorted(by: >)
    }

    /// A fixed-size C string field (the kernel pads with zeros).
    private static func text<T>(_ field: T) -> String {
        withUnsafeBytes(of: field) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
