import ArgumentParser
import Client
import Foundation
import Media
import Wire

/// `broadcaster live` (the default): opens a live channel from this PC's camera and sound card,
/// or from a file.
struct LiveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "live",
        abstract: "Go live (what broadcaster does when no command is named).",
        discussion: """
            Opens a channel through the cluster's web API (or resumes one with --channel and --secret), \
            captures, encodes (VP8 video, Opus audio) and sends to the channel's unit over UDP, or over \
            TCP when UDP does not get through. Lines typed on standard input go to the channel's chat \
            (unless standard input carries the video or the sound). A video or audio file is sent in real \
            time and the broadcast ends with it, unless --loop.

            \(BroadcasterCommand.exitCodes)
            """
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

    @OptionGroup(title: "Pictures and sound")
    var capture: CaptureOptions
    @Option(name: .customLong("video-kbps"), help: "Video bit rate in kbit/s.")
    var videoKbps = 600
    @Option(name: .customLong("keyframe-seconds"), help: "Seconds between keyframes.")
    var keyframeSeconds = 2.0

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
        guard (50...20_000).contains(videoKbps) else { throw ValidationError("--video-kbps must be 50 to 20000") }
        guard (6...510).contains(audioKbps) else { throw ValidationError("--audio-kbps must be 6 to 510") }
        guard OpusAudioEncoder.frameMillisecondsAllowed.contains(audioFrameMilliseconds) else {
            throw ValidationError("--audio-frame-ms must be one of \(OpusAudioEncoder.frameMillisecondsAllowed.map(String.init).joined(separator: ", "))")
        }
        guard keyframeSeconds > 0, keyframeSeconds <= 60 else { throw ValidationError("--keyframe-seconds must be above 0 and at most 60") }
        guard capture.video != "none" || capture.audio != "none" else { throw ValidationError("--video none and --audio none leave nothing to send") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
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
        let videoSource = try capture.makeVideoSource()
        let audioSource = try capture.makeAudioSource()
        let videoEncoder = try videoSource.map {
            try VP8Encoder(.init(width: $0.width, height: $0.height, framesPerSecond: $0.framesPerSecond, kilobitsPerSecond: videoKbps,
                                 keyframeInterval: max(1, Int((keyframeSeconds * Double($0.framesPerSecond)).rounded()))))
        }
        let audioEncoder = try audioSource.map { 
            try OpusAudioEncoder(channels: $0.channels, bitsPerSecond: audioKbps * 1000, frameMilliseconds: audioFrameMilliseconds)
        }
        if let videoSource { Console.shared.say("video: \(videoSource.label) at \(videoSource.framesPerSecond) fps, VP8 \(videoKbps) kbit/s") }
        if let audioSource { Console.shared.say("audio: \(capture.audioLabel(audioSource)), Opus \(audioKbps) kbit/s in \(audioFrameMilliseconds) ms frames") }

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
        let stop = StopSignal()
        videoPump?.start(stop: stop)
        audioPump?.start(stop: stop)
        if capture.video != "-" && capture.audio != "-" { ChatInput.start(sendingTo: uplink) }
        let running = Task { await uplink.run() }
        let status = Task { [fps = videoSource != nil, sound = audioSource != nil] in
            var line = StatusLine(stats: stats)
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                Console.shared.status(line.render(channel: place.channel, stats: stats, uplink: uplink, hasVideo: fps, hasAudio: sound))
            }
        }

        let reason = await stop.wait(seconds: duration)
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
}
