import Foundation
import Media
import Testing

/// The capture path on real kernel devices: a qemu guest running Debian's kernel with vivid (a
/// V4L2 camera showing colour bars) and snd-aloop (an ALSA loopback card) runs the real
/// `broadcaster`, `avserver` and `viewer` (Tests/Devices/device-vm.sh, in-guest.sh); this checks
/// what they printed and wrote.
@Suite(.serialized) struct DeviceTests {
    static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// Under the project, not /tmp: the guest's /tmp is its own.
    static let results = package.appendingPathComponent(".build/device-test")

    /// What the guest needs (scripts/install-deps.sh --test installs it); else the test says why it skips.
    static var guestCanRun: Bool {
        let kernels = (try? FileManager.default.contentsOfDirectory(atPath: "/boot"))?.filter { $0.hasPrefix("vmlinuz-") } ?? []
        let ready = FileManager.default.isExecutableFile(atPath: "/usr/bin/qemu-system-x86_64")
            && kernels.contains { FileManager.default.isReadableFile(atPath: "/boot/\($0)") } && FileManager.default.isExecutableFile(atPath: "/bin/busybox")
        if !ready { print("DeviceTests: skipped: no qemu-system-x86_64, readable Debian kernel in /boot or static busybox (scripts/install-deps.sh --test)") }
        return ready
    }

    /// vivid's 75% colour bars, left to right.
    static let bars = [RGB(192, 192, 192), RGB(192, 192, 0), RGB(0, 192, 192), RGB(0, 192, 0), RGB(192, 0, 192), RGB(192, 0, 0), RGB(0, 0, 192), RGB(0, 0, 0)]

    /// Each bar's colour, sampled in the bar's middle below vivid's text; the largest distance.
    static func distanceFromBars(_ path: URL) throws -> (Int, [RGB]) {
        let picture = try PictureFile(ppm: [UInt8](Data(contentsOf: path)), path: path.path)
        let y = picture.height * 15 / 16
        let seen = (0..<8).map { picture[$0 * picture.width / 8 + picture.width / 16, y] }
        return (zip(seen, bars).map { $0.distance(to: $1) }.max()!, seen)
    }

    static func text(_ name: String) -> String { (try? String(contentsOf: results.appendingPathComponent(name), encoding: .utf8)) ?? "" }
    static func status(_ name: String) -> Int? { Int(text(name + ".rc").trimmingCharacters(in: .whitespacesAndNewlines)) }

    static func sound(_ name: String) throws -> (frequency: Double, rms: Double, seconds: Double) {
        let url = results.appendingPathComponent(name)
        let wave = try WAVFormat(parsing: [UInt8](Data(contentsOf: url)), path: url.path)
        let mono = stride(from: 0, to: wave.samples.count, by: wave.channels).map { wave.samples[$0] }
        // The middle: the first and last moments may hold the start or end of the stream.
        let middle = Array(mono.dropFirst(mono.count / 5).dropLast(mono.count / 5))
        let rms = (middle.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, middle.count))).squareRoot()
        return (SoundAnalysis.frequency(of: middle), rms, Double(mono.count) / 48_000)
    }

    @Test(.enabled(if: guestCanRun), .timeLimit(.minutes(10)))
    func theRealBinariesCaptureFromARealCameraAndSoundCardAndTheViewerGetsBoth() async throws {
        try? FileManager.default.removeItem(at: Self.results)
        try FileManager.default.createDirectory(at: Self.results, withIntermediateDirectories: true)
        // The tone aplay plays into the loopback card: 440 Hz, long enough for every step.
        let tone = ToneSource(channels: 1, frequency: 440)
        let samples = try (0..<(60 * 50)).flatMap { _ in try tone.read() }
        try Data(WAVFormat(sampleRate: 48_000, channels: 1, samples: samples).bytes).write(to: Self.results.appendingPathComponent("tone.wav"))
        let toneRMS = (samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(samples.count)).squareRoot()

        let started = ContinuousClock.now
        let guest = Process()
        guest.executableURL = Self.package.appendingPathComponent("Tests/Devices/device-vm.sh")
        guest.currentDirectoryURL = Self.package
        let binaries = UnitProcess.binary.deletingLastPathComponent().path
        guest.arguments = [Self.results.path, "sh", "Tests/Devices/in-guest.sh", binaries, Self.results.path]
        let output = Pipe()
        guest.standardOutput = output
        guest.standardError = output
        try guest.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guest.waitUntilExit()
        let log = Self.text("guest.log")
        print("DeviceTests: the guest took \(ContinuousClock.now - started): \(printed)")
        try #require(guest.terminationStatus == 0, "\(printed)\n\(log)\n\(Self.text("console.log").suffix(2000))")

        // broadcaster devices: vivid's camera with its formats, sizes and rates; the Loopback card.
        let devices = Self.text("devices.txt")
        #expect(Self.status("devices") == 0, "\(devices)")
        #expect(devices.contains("/dev/video0  vivid (driver vivid"), "\(devices)")
        #expect(devices.contains("YUYV  YUYV 4:2:2") && devices.contains("RGB3") && devices.contains("640x480 at 25, "), "\(devices)")
        #expect(!devices.contains("/dev/video1  "), "the output node is no camera: \(devices)")
        #expect(devices.contains("card 0: Loopback") && devices.contains("--audio plughw:Loopback,1"), "\(devices)")

        // broadcaster preview, YUYV at 640x480: at least 25 fps measured, and the bars.
        for (name, format, snapshot) in [("preview-yuyv", "YUYV", "yuyv.ppm"), ("preview-rgb3-ppm", "RGB3", "rgb3.ppm")] {
            let text = Self.text(name + ".txt")
            #expect(Self.status(name) == 0, "\(text)")
            #expect(text.contains("/dev/video0 \(format) 640x480"), "\(text)")
            let (distance, seen) = try Self.distanceFromBars(Self.results.appendingPathComponent(snapshot))
            #expect(distance <= 30, "\(snapshot): \(seen)")
        }
        let yuyv = Self.text("preview-yuyv.txt")
        let fps = Double(yuyv.firstMatch(of: /([0-9.]+) fps measured/)?.1 ?? "0") ?? 0
        // vivid's clock is the kernel's; a frame late at either end of a 4 s run, and one more an
        // emulated guest on a busy host misses, is within 1 (seen: 24.3).
        #expect(fps >= 24.0, "\(yuyv)")
        print("DeviceTests: YUYV 640x480 measured \(fps) fps")
        let png = try [UInt8](Data(contentsOf: Self.results.appendingPathComponent("rgb3.png")))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]) && Self.status("preview-rgb3") == 0, "\(Self.text("preview-rgb3.txt"))")

        // The sound captured from hw:Loopback,1 is the tone played into hw:Loopback,0, at its level.
        let recorded = try Self.sound("recorded.wav")
        #expect(Self.status("preview-sound") == 0, "\(Self.text("preview-sound.txt"))")
        #expect(abs(recorded.frequency - 440) < 5 && recorded.seconds > 2.5, "\(recorded) \(Self.text("preview-sound.txt"))")
        #expect(abs(recorded.rms - toneRMS) < toneRMS * 0.05, "recorded RMS \(recorded.rms), played \(toneRMS)")

        // The whole path: the viewer decoded the tone and the bars the broadcaster captured.
        let viewer = Self.text("viewer.txt")
        #expect(Self.status("viewer") == 0 && Self.status("broadcaster") == 0, "\(viewer)\n\(Self.text("broadcaster.txt"))")
        let heard = try Self.sound("viewer.wav")
        // Under emulation, on a busy host, the guest may fall behind real time: the pitch and the
        // level are what is judged, over at least 1.5 s of sound.
        #expect(abs(heard.frequency - 440) < 5 && heard.seconds > 1.5, "\(heard) \(viewer)")
        // Opus at 48 kbit/s keeps a pure tone's level within a decibel.
        #expect(abs(heard.rms - toneRMS) < toneRMS * 0.15, "viewer RMS \(heard.rms), played \(toneRMS)")
        let (distance, seen) = try Self.distanceFromBars(Self.results.appendingPathComponent("viewer.ppm"))
        #expect(distance <= 45, "the viewer's picture: \(seen)")
        #expect(Self.text("stream.sdp").contains("a=rtpmap:96 VP8/90000"), "\(viewer)")
        #expect(Self.text("broadcaster.txt").contains("/dev/video0") && Self.text("broadcaster.txt").contains("hw:Loopback,1"))
    }
}
