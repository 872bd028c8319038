#if canImport(Glibc)
import Glibc
#endif

/// A file or pipe that ran out (`--video talk.y4m`, `--audio talk.wav` without `--loop`): the
/// broadcast of it is over.
public struct InputEnded: Error, CustomStringConvertible, Sendable {
    public let path: String
    public var description: String { "\(path == "-" ? "standard input" : path) ended" }
}

/// The stream header of a YUV4MPEG2 file (as `ffmpeg -f yuv4mpegpipe -pix_fmt yuv420p` writes it).
public struct Y4MHeader: Equatable, Sendable {
    public var width: Int
    public var height: Int
    /// Frame rate as a fraction (30000:1001 for 29.97 fps).
    public var rate: (numerator: Int, denominator: Int)
    public var framesPerSecond: Double { Double(rate.numerator) / Double(rate.denominator) }

    public static func == (a: Y4MHeader, b: Y4MHeader) -> Bool {
        a.width == b.width && a.height == b.height && a.rate.numerator == b.rate.numerator && a.rate.denominator == b.rate.denominator
    }

    /// Parses the header line (without its newline). `path` names the file in errors.
    public init(line: String, path: String) throws {
        var fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.first == "YUV4MPEG2" else {
            throw MediaError.badFile("\(path) is not a YUV4MPEG2 stream (it does not start with 'YUV4MPEG2'); make one with ffmpeg -i IN -f yuv4mpegpipe -pix_fmt yuv420p OUT.y4m")
        }
        fields.removeFirst()
        var width: Int?, height: Int?
        var rate = (numerator: 25, denominator: 1)
        for field in fields {
            let value = field.dropFirst()
            switch field.first {
            case "W": width = Int(value)
            case "H": height = Int(value)
            case "F":
                let parts = value.split(separator: ":").compactMap { Int($0) }
                guard parts.count == 2, parts[0] > 0, parts[1] > 0, Double(parts[0]) / Double(parts[1]) <= 120 else {
                    throw MediaError.badFile("\(path): frame rate '\(value)' is not a rate of at most 120 fps")
                }
                rate = (parts[0], parts[1])
            case "C":
                // The 4:2:0 layouts differ only in where chroma sits, not in the bytes.
                guard value.hasPrefix("420") else {
                    throw MediaError.badFile("\(path) is C\(value); the broadcaster takes 4:2:0 (ffmpeg ... -pix_fmt yuv420p)")
                }
            case "I":
                guard value == "p" || value == "?" else {
                    throw MediaError.badFile("\(path) is interlaced (I\(value)); deinterlace it (ffmpeg ... -vf yadif)")
                }
            default: continue  // aspect ratio, comments and extensions do not change the bytes
            }
        }
        guard let width, let height, (2...4096).contains(width), (2...4096).contains(height) else {
            throw MediaError.badFile("\(path): the header gives no picture size of at most 4096x4096")
        }
        self.width = width
        self.height = height
        self.rate = rate
    }

    public var frameBytes: Int { I420Frame.byteCount(width: width, height: height) }
}

/// `--video FILE.y4m` or `--video -` (standard input): YUV4MPEG2 4:2:0 pictures, paced by the
/// caller at the file's own frame rate; a file can start again at its end (`--loop`), a pipe not.
public final class Y4MFileSource: VideoSource {
    public let header: Y4MHeader
    public let path: String
    public var width: Int { header.width }
    public var height: Int { header.height }
    public var framesPerSecond: Int { max(1, Int(header.framesPerSecond.rounded())) }
    public var isRealTime: Bool { false }
    public var label: String { "\(path == "-" ? "standard input" : path) (YUV4MPEG2 \(width)x\(height))" }
    private let reader: FileReader
    private let loop: Bool
    private var firstFrame: Int

    public init(path: String, loop: Bool) throws {
        self.path = path
        reader = try FileReader.source(
            path: path, loop: loop, what: "video file",
            hint: "give the path of a YUV4MPEG2 file (ffmpeg -i IN -f yuv4mpegpipe -pix_fmt yuv420p OUT.y4m), or - for standard input")
        self.loop = loop
        guard let line = try reader.line(maxBytes: 256) else { throw MediaError.badFile("\(path) is empty") }
        header = try Y4MHeader(line: line, path: path)
        firstFrame = reader.offset
    }

    public func next() throws -> I420Frame {
        if let frame = try readFrame() { return frame }
        guard loop else { throw InputEnded(path: path) }
        try reader.rewind(to: firstFrame)
        guard let frame = try readFrame() else { throw MediaError.badFile("\(path) holds no frame") }
        return frame
    }

    private func readFrame() throws -> I420Frame? {
        guard let line = try reader.line(maxBytes: 256) else { return nil }
        guard line.hasPrefix("FRAME") else {
            throw MediaError.badFile("\(path): expected a FRAME header at byte \(reader.offset - line.utf8.count - 1), found '\(line.prefix(16))'")
        }
        guard let bytes = try reader.read(exactly: header.frameBytes) else { return nil }  // cut short: the file is still being written, or was cut
        return I420Frame(width: width, height: height, bytes: bytes)
    }
}

/// Reads a file or standard input ("-") in exact sizes, with no Foundation buffering between the
/// caller and the pipe.
final class FileReader {
    let path: String
    private let fd: Int32
    private(set) var offset = 0
    let canRewind: Bool
    private var buffer: [UInt8] = []
    private var start = 0

    init(path: String, what: String, hint: String) throws {
        self.path = path
        if path == "-" {
            fd = STDIN_FILENO
        } else {
            fd = open(path, O_RDONLY)
            guard fd >= 0 else {
                let code = errno
                if code == ENOENT { throw MediaError.noDevice("\(what) \(path)", hint: hint) }
                if code == EACCES { throw MediaError.permissionDenied("\(what) \(path)", hint: "check its permissions") }
                throw MediaError.badFile("cannot open \(path): \(String(cString: strerror(code)))")
            }
        }
        var status = stat()
        canRewind = fstat(fd, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
    }

    /// Opens `path` for a source that may `loop`: one that loops must be a file it can read
    /// again, checked before opening (opening a named pipe waits for its writer).
    static func source(path: String, loop: Bool, what: String, hint: String) throws -> FileReader {
        guard !loop || !FileKind.isPipe(path) else { throw MediaError.badFile("\(path) is a pipe: --loop needs a file it can read again") }
        let reader = try FileReader(path: path, what: what, hint: hint)
        guard !loop || reader.canRewind else {
            throw MediaError.badFile("\(path == "-" ? "standard input" : path) is a pipe: --loop needs a file it can read again")
        }
        return reader
    }

    deinit { if fd != STDIN_FILENO { close(fd) } }

    /// The next line without its newline, nil at the end of the input.
    func line(maxBytes: Int) throws -> String? {
        var bytes: [UInt8] = []
        while true {
            guard let byte = try read(exactly: 1)?.first else { return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self) }
            if byte == 0x0A { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
            guard bytes.count <= maxBytes else { throw MediaError.badFile("\(path): a header line longer than \(maxBytes) bytes at byte \(offset - bytes.count)") }
        }
    }

    /// Exactly `count` bytes, or nil when the input ends first.
    func read(exactly count: Int) throws -> [UInt8]? {
        while buffer.count - start < count {
            if start > 0 {
                buffer.removeFirst(start)
                start = 0
            }
            var chunk = [UInt8](repeating: 0, count: max(65_536, count - buffer.count))
            let got = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw MediaError.badFile("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if got == 0 { return nil }
            buffer += chunk[0..<got]
        }
        let bytes = Array(buffer[start..<(start + count)])
        start += count
        offset += count
        return bytes
    }

    /// Starts again at `offset` (files only).
    func rewind(to target: Int) throws {
        guard lseek(fd, off_t(target), SEEK_SET) == off_t(target) else {
            throw MediaError.badFile("cannot go back in \(path): \(String(cString: strerror(errno)))")
        }
        buffer = []
        start = 0
        offset = target
    }
}

/// What kind of file a path names, for choosing a source by it.
public enum FileKind {
    /// A named pipe (mkfifo): read as a stream, never rewound.
    public static func isPipe(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFIFO
    }
}
