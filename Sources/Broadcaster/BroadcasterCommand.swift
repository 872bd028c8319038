import ArgumentParser
import Client
import Foundation
import Media
import Wire

/// `broadcaster`: opens a live channel from this PC's camera and sound card.
@main
struct BroadcasterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broadcaster",
        abstract: "Go live from this PC's camera and sound card.",
        discussion: """
            Opens a channel through the cluster's web API (or resumes one with --channel and --secret),
            captures, encodes (VP8 video, Opus audio) and sends to the channel's unit over UDP, or over
            TCP when UDP does not get through. Lines typed on standard input go to the channel's chat.
            Exit codes: 0 done, 64 bad flags, 65 unsupported format, 66 no such device or file,
            69 no server answered or the cluster refused, 70 codec failure, 74 device failed,
            77 no permission for the device.
            """,
        version: "protocol \(Hello.currentVersion); \(MediaLibraries.summary)"
    )

    @Option(name: .long, help: "The cluster's web API; repeat it or separate with commas to list fall-backs.")
    var server: [String] = ["http://127.0.0.1:8080", "http://127.0.0.1:7080", "http://127.0.0.1:7081"]
    @Option(help: "The channel's title (for a new channel).")
    var title: String?
    @Option(help: "Your name, shown with the channel and your chat lines.")
    var name: String = ProcessInfo.processInfo.environment["USER"] ?? "broadcaster"
    @Option(help: "Resume this channel (with --secret) instead of opening a new one.")
    var channel: UInt32?
    @Option(help: "The secret printed when the channel was opened.")
    var secret: String?

    @Option(help: "Camera device, 'test' (moving test pattern), 'emulated' (an emulated YUYV camera) or 'none'.")
    var video = "/dev/video0"
    @Option(help: "Picture size, WIDTHxHEIGHT (a camera gives its nearest size).")
    var size = "640x360"
    @Option(help: "Frames per second.")
    var fps = 25
    @Option(name: .customLong("video-kbps"), help: "Video bit rate in kbit/s.")
    var videoKbps = 600
    @Option(name: .customLong("keyframe-seconds"), help: "Seconds between keyframes.")
    var keyframeSeconds = 2.0

    @Option(help: "ALSA capture device (e.g. default, hw:1, plughw:1,0), 'test' (a 440 Hz tone), a .wav file, or 'none'.")
    var audio = "default"
    @Option(name: .customLong("audio-channels"), help: "1 (mono) or 2 (stereo).")
    var audioChannels = 1
    @Option(name: .customLong("audio-kbps"), help: "Opus bit rate in kbit/s.")
    var audioKbps = 48
    @Option(name: .customLong("audio-frame-ms"), help: "Opus frame length in ms: 10, 20, 40 or 60. Longer frames send fewer packets to each viewer (a unit holds more viewers) and add that much latency.")
    var audioFrameMilliseconds = 20

    @Option(name: .customLong("bind-timeout"), help: "Seconds to wait for the UDP bind reply before sending over TCP.")
    var bindTimeout = 2.0
    @Flag(help: "Send over the TCP session from the start.")
    var tcp = false
    @Option(help: "Stop after this many seconds (default: until Ctrl-C).")
    var duration: Double?
    @Flag(name: .customLong("keep-open"), help: "Leave the channel open on exit, to resume it later.")
    var keepOpen = false

    var servers: [String] { server.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } }

    func validate() throws {
        guard ClusterAPIClient(urls: servers) != nil else { throw ValidationError("--server must look like http://HOST:PORT") }
        if channel != nil && secret == nil { throw ValidationError("--channel needs the --secret printed when the channel was opened") }
        if channel == nil && title == nil { throw ValidationError("give --title to open a new channel, or --channel and --secret to resume one") }
        guard pictureSize != nil else { throw ValidationError("--size must look like 640x360, both even, at most 4096") }
        guard (1...60).contains(fps) else { throw ValidationError("--fps must be 1 to 60") }
        guard (50...20_000).contains(videoKbps) else { throw ValidationError("--video-kbps must be 50 to 20000") }
        guard (6...510).contains(audioKbps) else { throw ValidationError("--audio-kbps must be 6 to 510") }
        guard OpusAudioEncoder.frameMillisecondsAllowed.contains(audioFrameMilliseconds) else {
            throw ValidationError("--audio-frame-ms must be one of \(OpusAudioEncoder.frameMillisecondsAllowed.map(String.init).joined(separator: ", "))")
        }
        guard audioChannels == 1 || audioChannels == 2 else { throw ValidationError("--audio-channels must be 1 or 2") }
        guard keyframeSeconds > 0, keyframeSeconds <= 60 else { throw ValidationError("--keyframe-seconds must be above 0 and at most 60") }
        guard video != "none" || audio != "none" else { throw ValidationError("--video none and --audio none leave nothing to send") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
    }

    var pictureSize: (width: Int, height: Int)? {
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts.allSatisfy({ $0 > 0 && $0 <= 4096 && $0 % 2 == 0 }) else { return nil }
        return (parts[0], parts[1])
    }

    func run() async throws {
        do {
            try await broadcast()
        } catch let error as ExitCode {
            throw error
        } catch {
            throw BroadcasterExit.code(for: error)
        }
    }

    private func broadcast() async throws {
        let api = ClusterAPIClient(urls: servers)!
        let stats = BroadcastStats()
        // Devices and codecs first: a missing camera should not open a channel.
        let videoSource = try makeVideoSource()
        let audioSource = try makeAudioSource()
        let videoEncoder = try videoSource.map {
            try VP8Encoder(.init(width: $0.width, height: $0.height, framesPerSecond: fps, kilobitsPerSecond: videoKbps,
                                 keyframeInterval: max(1, Int((keyframeSeconds * Double(fps)).rounded()))))
        }
        let audioEncoder = try audioSource.map { 
            try OpusAudioEncoder(channels: $0.channels, bitsPerSecond: audioKbps * 1000, frameMilliseconds: audioFrameMilliseconds)
        }
        if let videoSource { Console.shared.say("video: \(videoSource.label) at \(fps) fps, VP8 \(videoKbps) kbit/s") }
        if let audioSource { Console.shared.say("audio: \(audio == "test" ? "440 Hz tone" : audio), \(audioSource.channels == 1 ? "mono" : "stereo") 48 kHz, Opus \(audioKbps) kbit/s in \(audioFrameMilliseconds) ms frames") }

        let place: OpenChannelResponse
        if let channel, let secret {
            place = try await api.resumeChannel(ChannelID(channel), secret: secret)
            Console.shared.say("channel \(place.channel) resumed")
        } else {
            place = try await api.openChannel(title: title ?? "", broadcasterName: name)
            Console.shared.say("channel \(place.channel) is live: \(title ?? "")")
            Console.shared.say("resume it later with: broadcaster --server \(servers[0]) --channel \(place.channel) --secret \(place.secret)")
        }
        Console.shared.say("watch it with: viewer watch --server \(servers[0]) \(place.channel)")

        let uplink = Uplink(
            channel: place.channel, secret: place.secret, api: api,
            options: .init(name: name, bindTimeout: .milliseconds(Int(bindTimeout * 1000)), forceTCP: tcp), stats: stats)
        do {
            try await uplink.start(at: place)
        } catch {
            if !keepOpen && channel == nil { try? await api.closeChannel(place.channel, secret: place.secret) }
            throw error
        }
        Console.shared.say("sending to unit \(place.unit.host):\(place.unit.sessionPort) over \(uplink.status.mode == .udp ? "UDP" : "TCP"); type a line to chat")

        let videoPump = videoSource.map { VideoPump(source: $0, encoder: videoEncoder!, uplink: uplink, stats: stats) }
        let audioPump = audioSource.map { AudioPump(source: $0, encoder: audioEncoder!, uplink: uplink, stats: stats) }
        videoPump?.start()
        audioPump?.start()
        ChatInput.start(sendingTo: uplink)
        let running = Task { await uplink.run() }
        let status = Task { [fps = videoSource != nil, sound = audioSource != nil] in
            var line = StatusLine(stats: stats)
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                Console.shared.status(line.render(channel: place.channel, stats: stats, uplink: uplink, hasVideo: fps, hasAudio: sound))
            }
        }

        let reason = await StopSignal.wait(seconds: duration)
        status.cancel()
        Console.shared.finishStatus()
        await videoPump?.stop()
        await audioPump?.stop()
        await uplink.stop()
        running.cancel()
        let counters = stats.snapshot
        Console.shared.say("stopped (\(reason)): sent \(counters.videoFrames) video frames (\(counters.keyframes) keyframes), \(counters.audioPackets) audio packets (\(counters.audioBytes / 1000) kB)")
        if !keepOpen {
            do {
                try await api.closeChannel(place.channel, secret: place.secret)
                Console.shared.say("channel \(place.channel) closed")
            } catch {
                Console.shared.say("channel \(place.channel) could not be closed (\(error)); it closes when its unit sees no broadcaster")
            }
        }
    }

    private func makeVideoSource() throws -> VideoSource? {
        let (width, height) = pictureSize!
        switch video {
        case "none": return nil
        case "test": return TestPatternSource(width: width, height: height, framesPerSecond: fps)
        case "emulated": return try CameraSource(device: EmulatedCamera(), width: width, height: height, framesPerSecond: fps)
        default: return try CameraSource(device: V4L2Device(path: video), width: width, height: height, framesPerSecond: fps)
        }
    }

    private func makeAudioSource() throws -> AudioSource? {
        switch audio {
        case "none": return nil
        case "test": return ToneSource(channels: audioChannels)
        case let path where path.lowercased().hasSuffix(".wav"): return try WAVFileSource(path: path)
        default: return try ALSACaptureSource(name: audio, channels: audioChannels)
        }
    }
}
