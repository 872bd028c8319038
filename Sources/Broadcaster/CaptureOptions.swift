import ArgumentParser
import Media

/// Where the pictures and the sound come from, shared by going live and `preview`.
struct CaptureOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Camera device (see broadcaster devices), a YUV4MPEG2 file (.y4m), '-' for YUV4MPEG2 on standard input, 'test' (moving test pattern), 'emulated' (an emulated YUYV camera) or 'none'.",
        valueName: "device"))
    var video = "/dev/video0"
    @Option(help: "Picture size, WIDTHxHEIGHT (a camera gives its nearest size; a file keeps its own).")
    var size = "640x360"
    @Option(help: "Frames per second (a file keeps its own).")
    var fps = 25
    @Option(name: .customLong("pixel-format"), help: ArgumentHelp(
        "Capture in this camera format (a four-character code from broadcaster devices, such as YUYV or MJPG) instead of the one found best.",
        valueName: "code"))
    var pixelFormat: String?

    @Option(help: ArgumentHelp(
        "ALSA capture device (see broadcaster devices; e.g. default, plughw:1,0), a WAV file or named pipe carrying WAV (48 kHz, 16-bit), 'test' (a 440 Hz tone) or 'none'.",
        valueName: "device"))
    var audio = "default"
    @Option(name: .customLong("audio-channels"), help: "1 (mono) or 2 (stereo).")
    var audioChannels = 1
    @Flag(help: "Start a video or audio file again at its end (else the broadcast ends with it).")
    var loop = false

    func validate() throws {
        guard pictureSize != nil else { throw ValidationError("--size must look like 640x360, both even, at most 4096") }
        guard (1...60).contains(fps) else { throw ValidationError("--fps must be 1 to 60") }
        guard audioChannels == 1 || audioChannels == 2 else { throw ValidationError("--audio-channels must be 1 or 2") }
        if let pixelFormat, CameraFormat.code(named: pixelFormat) == nil {
            throw ValidationError("--pixel-format must be a four-character code such as YUYV or MJPG (see broadcaster devices)")
        }
        guard video != "-" || audio != "-" else { throw ValidationError("--video - and --audio - cannot both read standard input") }
    }

    var pictureSize: (width: Int, height: Int)? {
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts.allSatisfy({ $0 > 0 && $0 <= 4096 && $0 % 2 == 0 }) else { return nil }
        return (parts[0], parts[1])
    }

    var isVideoFile: Bool { video == "-" || video.lowercased().hasSuffix(".y4m") }

    func makeVideoSource() throws -> VideoSource? {
        let (width, height) = pictureSize!
        let format = pixelFormat.flatMap(CameraFormat.code(named:))
        switch video {
        case "none": return nil
        case "test": return TestPatternSource(width: width, height: height, framesPerSecond: fps)
        case "emulated":
            return try CameraSource(device: EmulatedCamera(), width: width, height: height, framesPerSecond: fps, pixelFormat: format)
        case _ where isVideoFile: return try Y4MFileSource(path: video, loop: loop)
        default:
            return try CameraSource(device: V4L2Device(path: video), width: width, height: height, framesPerSecond: fps, pixelFormat: format)
        }
    }

    func makeAudioSource() throws -> AudioSource? {
        switch audio {
        case "none": return nil
        case "test": return ToneSource(channels: audioChannels)
        case let path where path == "-" || path.lowercased().hasSuffix(".wav") || FileKind.isPipe(path):
            return try WAVFileSource(path: path, loop: loop)
        default: return try ALSACaptureSource(name: audio, channels: audioChannels)
        }
    }

    /// How the sound is described in messages.
    func audioLabel(_ source: AudioSource) -> String {
        let name = audio == "test" ? "440 Hz tone" : audio == "-" ? "standard input" : audio
        return "\(name), \(source.channels == 1 ? "mono" : "stereo") 48 kHz"
    }
}
