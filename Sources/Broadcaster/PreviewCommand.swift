import ArgumentParser
import Client
import Foundation
import Media
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// `broadcaster preview`: captures from the chosen camera and sound card without going on the
/// air, so a user sees the picture, the level and the real frame rate before going live.
struct PreviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "preview",
        abstract: "Try the camera and the microphone without going on the air.",
        discussion: """
            Captures with the same flags as going live, draws the picture in the terminal (as viewer \
            watch does) above a line with the format, the measured frame rate and the sound's level, \
            until Ctrl-C or --duration. --snapshot keeps the last picture, --record the sound. At the \
            end it prints what it measured.

            \(BroadcasterCommand.exitCodes)
            """
    )

    @OptionGroup(title: "Pictures and sound")
    var capture: CaptureOptions
    @Option(help: "Stop after this many seconds (default: until Ctrl-C).")
    var duration: Double?
    @Option(help: ArgumentHelp("Write the last picture to this file (.png or .ppm).", valueName: "file"))
    var snapshot: String?
    @Option(help: ArgumentHelp("Write the sound captured to this WAV file.", valueName: "file"))
    var record: String?
    @Flag(name: .customLong("no-picture"), help: "Do not draw the picture in the terminal.")
    var noPicture = false

    func validate() throws {
        guard capture.video != "none" || capture.audio != "none" else { throw ValidationError("--video none and --audio none leave nothing to preview") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        if let snapshot {
            guard capture.video != "none" else { throw ValidationError("--snapshot needs a picture: not --video none") }
            do { try PictureFile.checkName(snapshot) } catch { throw ValidationError("\(error)") }
        }
        if record != nil && capture.audio == "none" { throw ValidationError("--record needs sound: not --audio none") }
    }

    func run() async throws {
        do {
            try await preview()
        } catch let error as ExitCode {
            throw error
        } catch {
            throw BroadcasterExit.code(for: error)
        }
    }

    private func preview() async throws {
        let video = try capture.makeVideoSource()
        let audio = try capture.makeAudioSource()
        let recording = try record.map { try WAVFileWriter(path: $0, channels: audio!.channels) }
        let meter = PreviewMeter()
        let stop = StopSignal()
        let videoThread = video.map { source in
            let loop = PreviewCapture(video: source, meter: meter)
            return CaptureThread(name: "video capture", what: "video", stop: stop) { try loop.step() }
        }
        let audioThread = audio.map { source in
            let loop = PreviewCapture(audio: source, recording: recording, meter: meter)
            return CaptureThread(name: "audio capture", what: "audio", stop: stop) { try loop.step() }
        }
        if let video { Console.shared.say("video: \(video.label), \(video.framesPerSecond) fps") }
        if let audio { Console.shared.say("audio: \(capture.audioLabel(audio))") }

        let screen = !noPicture && video != nil && isatty(STDOUT_FILENO) == 1 ? PreviewScreen() : nil
        let drawing = Task { [videoLabel = video?.label, hasAudio = audio != nil] in
            var last = meter.reading
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(screen == nil ? 1000 : 100))
                let now = meter.reading
                let line = Self.statusLine(now, since: last, videoLabel: videoLabel, hasAudio: hasAudio)
                if let screen {
                    if let picture = now.picture { screen.show(picture) }
                    screen.status(line)
                } else {
                    Console.shared.say(line)
                }
                if now.at - last.at >= .seconds(1) { last = now }
            }
        }
        let reason = await stop.wait(seconds: duration)
        drawing.cancel()
        await videoThread?.stop()
        await audioThread?.stop()
        screen?.close()
        recording?.close()

        let reading = meter.reading
        Console.shared.say("preview stopped (\(reason))")
        if let video {
            Console.shared.say("video: \(video.label): \(reading.frames) frames in \(Self.decimal(reading.videoSeconds, 2)) s, \(Self.decimal(reading.framesPerSecond, 1)) fps measured, \(video.width)x\(video.height) I420 out")
        }
        if let audio {
            Console.shared.say("audio: \(capture.audioLabel(audio)): \(Self.decimal(reading.soundSeconds(channels: audio.channels), 2)) s, peak \(Self.decimal(reading.peakDecibels, 1)) dBFS, RMS \(Self.decimal(reading.rmsDecibels, 1)) dBFS")
        }
        if let snapshot {
            guard let picture = reading.picture else { throw MediaError.deviceFailed("no picture came from \(capture.video) to write to \(snapshot)") }
            try PictureFile(picture).write(to: snapshot)
            Console.shared.say("snapshot: \(snapshot) (\(picture.width)x\(picture.height))")
        }
        if let recording { Console.shared.say("recording: \(recording.path) (\(Self.decimal(recording.seconds, 2)) s)") }
        if video != nil && reading.frames == 0 { throw MediaError.deviceFailed("no picture came from \(capture.video)") }
    }

    static func statusLine(_ now: PreviewMeter.Reading, since last: PreviewMeter.Reading, videoLabel: String?, hasAudio: Bool) -> String {
        var parts: [String] = []
        if let videoLabel {
            let seconds = max(0.001, Double((now.at - last.at) / .milliseconds(1)) / 1000)
            parts.append("\(videoLabel)  \(decimal(Double(now.frames - last.frames) / seconds, 1)) fps")
        }
        if hasAudio { parts.append("sound \(now.level.meter(width: 10)) \(Int(now.level.peakDecibels.rounded())) dB") }
        return parts.joined(separator: "  ")
    }

    static func decimal(_ value: Double, _ places: Int) -> String {
        let scale = places == 2 ? 100.0 : 10.0
        let scaled = Int((value * scale).rounded())
        let whole = abs(scaled) / Int(scale), part = abs(scaled) % Int(scale)
        let fraction = String(part).count < places ? String(repeating: "0", count: places - String(part).count) + String(part) : String(part)
        return (scaled < 0 ? "-" : "") + "\(whole).\(fraction)"
    }
}

/// One capture loop of the preview, pictures or sound: its source, pacing and recording, used
/// only by its thread.
final class PreviewCapture: @unchecked Sendable {
    private let video: VideoSource?
    private let audio: AudioSource?
    private let recording: WAVFileWriter?
    private let meter: PreviewMeter
    private let pacer: Pacer

    init(video: VideoSource, meter: PreviewMeter) {
        self.video = video
        audio = nil
        recording = nil
        self.meter = meter
        pacer = Pacer(period: .seconds(1) / video.framesPerSecond)
    }

    init(audio: AudioSource, recording: WAVFileWriter?, meter: PreviewMeter) {
        video = nil
        self.audio = audio
        self.recording = recording
        self.meter = meter
        pacer = Pacer(period: .milliseconds(20))
    }

    func step() throws {
        if let video {
            if !video.isRealTime { pacer.waitForNextTick() }
            meter.picture(try video.next())
        } else if let audio {
            if !audio.isRealTime { pacer.waitForNextTick() }
            let samples = try audio.read()
            recording?.append(samples)
            meter.sound(samples)
        }
    }
}

/// What the preview measured, written by the capture threads and read by the drawing task.
final class PreviewMeter: Sendable {
    struct Reading: Sendable {
        var at = ContinuousClock.now
        var frames = 0
        var firstFrame: ContinuousClock.Instant?
        var lastFrame: ContinuousClock.Instant?
        var picture: I420Frame?
        var samples = 0
        var peak = 0
        var sumOfSquares = 0.0
        var level = AudioLevel(peakDecibels: -90)

        /// From the first picture to the last.
        var videoSeconds: Double {
            guard let firstFrame, let lastFrame else { return 0 }
            return Double((lastFrame - firstFrame) / .microseconds(1)) / 1e6
        }
        var framesPerSecond: Double { frames > 1 && videoSeconds > 0 ? Double(frames - 1) / videoSeconds : 0 }
        func soundSeconds(channels: Int) -> Double { Double(samples / channels) / 48_000 }
        var peakDecibels: Double { peak == 0 ? -90 : max(-90, 20 * log10(Double(peak) / 32768)) }
        var rmsDecibels: Double { sumOfSquares == 0 ? -90 : max(-90, 10 * log10(sumOfSquares / Double(samples)) - 20 * log10(32768)) }
    }

    private let state = NIOLockedValueBox(Reading())

    func picture(_ picture: I420Frame) {
        let now = ContinuousClock.now
        state.withLockedValue {
            $0.frames += 1
            if $0.firstFrame == nil { $0.firstFrame = now }
            $0.lastFrame = now
            $0.picture = picture
        }
    }

    func sound(_ samples: [Int16]) {
        let level = AudioLevel(samples: samples)
        let squares = samples.reduce(0.0) { $0 + Double($1) * Double($1) }
        let peak = samples.reduce(0) { max($0, abs(Int($1))) }
        state.withLockedValue {
            $0.samples += samples.count
            $0.peak = max($0.peak, peak)
            $0.sumOfSquares += squares
            $0.level = level
        }
    }

    var reading: Reading {
        state.withLockedValue {
            var reading = $0
            reading.at = .now
            return reading
        }
    }
}

/// The terminal while the preview draws: the alternate screen, the picture above a status line.
final class PreviewScreen: @unchecked Sendable {
    // Used only by the drawing task.
    private var renderer = TerminalRenderer()
    private var size = TerminalText.windowSize

    init() { write("\u{1B}[?1049h\u{1B}[?25l\u{1B}[2J") }

    func show(_ picture: I420Frame) {
        let now = TerminalText.windowSize
        if now != size {
            size = now
            renderer.invalidate()
            write("\u{1B}[2J")
        }
        let rows = max(1, size.rows - 1)
        write(renderer.draw(CellGrid(fitting: picture, columns: size.columns, rows: rows), areaColumns: size.columns, areaRows: rows))
    }

    func status(_ line: String) {
        write("\u{1B}[\(size.rows);1H\u{1B}[2K\u{1B}[7m" + TerminalText.fit(" " + line, columns: size.columns) + "\u{1B}[0m")
    }

    func close() { write("\u{1B}[0m\u{1B}[?25h\u{1B}[?1049l") }

    private func write(_ text: String) { StandardStream.write(text, to: STDOUT_FILENO) }
}
