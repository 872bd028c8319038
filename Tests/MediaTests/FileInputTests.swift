import Foundation
import Media
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Broadcasting a file or a pipe (`--video FILE.y4m`, `--video -`, `--audio FILE.wav` or a named
/// pipe) and the pictures the preview and the viewer write.
struct FileInputTests {
    /// A fresh path in the temporary directory that ends with `name`.
    static func temporary(_ name: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("\(getpid())-\(UInt32.random(in: 0...UInt32.max))-\(name)").path
    }

    /// Two 4x2 frames: Y bytes count up from 0 and from 100.
    static func y4m(header: String = "YUV4MPEG2 W4 H2 F30000:1001 Ip A1:1 C420jpeg XYSCSS=420JPEG") -> [UInt8] {
        var bytes = Array((header + "\n").utf8)
        for start in [0, 100] {
            bytes += Array("FRAME\n".utf8) + (0..<8).map { UInt8(start + $0) } + [128, 128, 128, 128]
        }
        return bytes
    }

    @Test func theHeaderGivesSizeAndRateAndRefusesWhatIsNot420Progressive() throws {
        let header = try Y4MHeader(line: "YUV4MPEG2 W640 H360 F30000:1001 Ip A1:1 C420jpeg", path: "talk.y4m")
        #expect(header.width == 640 && header.height == 360 && abs(header.framesPerSecond - 29.97) < 0.01)
        #expect(try Y4MHeader(line: "YUV4MPEG2 W8 H8", path: "x").framesPerSecond == 25)
        for (line, words) in [
            ("YUV4MPEG W8 H8", "not a YUV4MPEG2"), ("YUV4MPEG2 W8 H8 C444", "C444"), ("YUV4MPEG2 W8 H8 It", "interlaced"),
            ("YUV4MPEG2 W8", "no picture size"), ("YUV4MPEG2 W99999 H8", "no picture size"), ("YUV4MPEG2 W8 H8 F1000:1", "120 fps"),
            ("YUV4MPEG2 W8 H8 F1:0", "frame rate"),
        ] {
            #expect { try Y4MHeader(line: line, path: "talk.y4m") } throws: { "\($0)".contains("talk.y4m") && "\($0)".contains(words) }
        }
    }

    @Test func aFileIsReadFrameByFrameEndsAndLoopsWhenAsked() throws {
        let path = Self.temporary("frames.y4m")
        defer { unlink(path) }
        try Data(Self.y4m()).write(to: URL(fileURLWithPath: path))
        let once = try Y4MFileSource(path: path, loop: false)
        #expect(once.width == 4 && once.height == 2 && once.framesPerSecond == 30)
        #expect(try once.next().bytes.prefix(8) == [0, 1, 2, 3, 4, 5, 6, 7])
        #expect(try once.next().bytes.first == 100)
        #expect(throws: InputEnded.self) { try once.next() }

        let looped = try Y4MFileSource(path: path, loop: true)
        #expect(try (0..<5).map { _ in try looped.next().bytes.first! } == [0, 100, 0, 100, 0])
    }

    @Test func aCutFrameEndsTheInputAndABadFrameHeaderIsNamed() throws {
        let path = Self.temporary("cut.y4m")
        defer { unlink(path) }
        try Data(Self.y4m().dropLast(3)).write(to: URL(fileURLWithPath: path))
        let source = try Y4MFileSource(path: path, loop: false)
        _ = try source.next()
        #expect(throws: InputEnded.self) { try source.next() }

        var bad = Self.y4m()
        bad.replaceSubrange(bad.count - 18..<bad.count - 13, with: Array("FRAMX".utf8))
        try Data(bad).write(to: URL(fileURLWithPath: path))
        let broken = try Y4MFileSource(path: path, loop: false)
        _ = try broken.next()
        #expect { try broken.next() } throws: { "\($0)".contains(path) && "\($0)".contains("FRAME") }
    }

    @Test func aNamedPipeIsStreamedAndCannotLoop() async throws {
        let path = Self.temporary("sound.wav")
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        #expect { try WAVFileSource(path: path, loop: true) } throws: { "\($0)".contains("pipe") && "\($0)".contains("--loop") }

        // A writer that cannot seek back: the data chunk says 0xFFFFFFFF bytes, and a LIST chunk comes first.
        let tone = try ToneSource(channels: 1, frequency: 440).read(frames: 48_000)
        var header = WAVFormat.header(sampleRate: 48_000, channels: 1, dataBytes: 0)
        header.replaceSubrange(40..<44, with: [0xFF, 0xFF, 0xFF, 0xFF])
        header.insert(contentsOf: Array("LIST".utf8) + [4, 0, 0, 0] + Array("INFO".utf8), at: 36)
        let bytes = header + WAVFormat.littleEndian(tone)
        let writer = Thread {
            let fd = open(path, O_WRONLY)
            bytes.withUnsafeBytes { _ = write(fd, $0.baseAddress, $0.count) }
            close(fd)
        }
        writer.start()
        let source = try WAVFileSource(path: path, loop: false)
        var read: [Int16] = []
        while true {
            do { read += try source.read() } catch is InputEnded { break }
        }
        #expect(read == tone)
    }

    @Test func aWAVFileEndsWithoutLoopAndHeaderErrorsNameTheFile() throws {
        let path = Self.temporary("short.wav")
        defer { unlink(path) }
        let tone = try ToneSource(channels: 2, frequency: 440).read(frames: 1920)
        try Data(WAVFormat(sampleRate: 48_000, channels: 2, samples: tone).bytes).write(to: URL(fileURLWithPath: path))
        let source = try WAVFileSource(path: path, loop: false)
        #expect(source.channels == 2)
        #expect(try source.read() == Array(tone[0..<1920]))
        #expect(try source.read() == Array(tone[1920..<3840]))
        #expect(throws: InputEnded.self) { try source.read() }

        try Data(WAVFormat(sampleRate: 48_000, channels: 1, samples: [1, 2, 3]).bytes).write(to: URL(fileURLWithPath: path))
        #expect { try WAVFileSource(path: path, loop: false) } throws: { "\($0)".contains(path) && "\($0)".contains("20 ms") }
    }

    @Test func picturesRoundTripThroughPPMAndPNGIsWellFormed() throws {
        var frame = I420Frame(width: 16, height: 8)
        frame.fill(x: 0, y: 0, width: 8, height: 8, with: RGB(255, 255, 255))
        let picture = PictureFile(frame)
        let path = Self.temporary("snap.ppm")
        defer { unlink(path) }
        try picture.write(to: path)
        let read = try PictureFile(ppm: [UInt8](Data(contentsOf: URL(fileURLWithPath: path))), path: path)
        #expect(read == picture)
        #expect(read[2, 2].distance(to: RGB(255, 255, 255)) < 8 && read[12, 2].distance(to: RGB(0, 0, 0)) < 8)

        let png = picture.png
        #expect(png.prefix(8) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        #expect(Array(png[12..<16]) == Array("IHDR".utf8) && png[16..<24] == [0, 0, 0, 16, 0, 0, 0, 8])
        #expect(Array(png.suffix(8).prefix(4)) == Array("IEND".utf8))
        #expect { try picture.write(to: Self.temporary("snap.jpg")) } throws: { "\($0)".contains(".png or .ppm") }
        #expect(throws: MediaError.self) { try PictureFile(ppm: Array("P6\n16 8\n255\n".utf8), path: "short.ppm") }
    }

    @Test func pixelFormatsAreNamedByTheirFourCharacters() {
        #expect(CameraFormat.code(named: "YUYV") == CameraFormat.yuyv)
        #expect(CameraFormat.code(named: "MJPG") == CameraFormat.mjpeg)
        #expect(CameraFormat.code(named: "YUY") == nil && CameraFormat.code(named: "YUYVV") == nil)
    }
}
