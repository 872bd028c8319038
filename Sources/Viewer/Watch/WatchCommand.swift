import ArgumentParser
import Client
import Foundation
import Media
import Wire

/// `viewer watch`: video drawn in the terminal, sound played, chat.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Watch a channel: video in the terminal, sound through ALSA, chat.",
        discussion: """
            Type to chat, Enter sends; Esc, Ctrl-D or Ctrl-C quits. Where standard output is not a \
            terminal, news and a status line are printed instead of the picture, and lines read from \
            standard input are sent as chat. Exit codes: 0 done, 64 bad flags, 69 no server answered \
            or no unit took the viewer, 70 a codec failed.
            """
    )

    @Argument(help: "The channel number, or a URL ending in it (http://HOST:PORT/channels/N).")
    var channel: String
    @Option(name: .long, help: "The cluster's web API; repeat it or separate with commas to list fall-backs.")
    var server: [String] = ["http://127.0.0.1:8080", "http://127.0.0.1:7080", "http://127.0.0.1:7081"]
    @Option(help: "Your name in the chat.")
    var name: String = ProcessInfo.processInfo.environment["USER"] ?? "viewer"

    @Option(name: .customLong("bind-timeout"), help: "Seconds to wait for the UDP bind reply before asking for TCP.")
    var bindTimeout = 2.0
    @Flag(help: "Receive over the TCP session from the start.")
    var tcp = false
    @Option(name: .customLong("loss-threshold"), help: "UDP loss (percent) over the window that switches to TCP.")
    var lossThreshold = 5.0
    @Option(name: .customLong("loss-window"), help: "Seconds over which UDP loss is measured.")
    var lossWindow = 5
    @Flag(name: .customLong("probe-udp"), help: "After a switch to TCP, try UDP again from time to time.")
    var probeUDP = false
    @Option(name: .customLong("probe-after"), help: "Seconds on TCP before the first UDP probe (doubles after each lossy probe).")
    var probeAfter = 30

    @Option(name: .customLong("audio-device"), help: "ALSA playback device.")
    var audioDevice = "default"
    @Option(name: .customLong("audio-out"), help: "Write the sound to this WAV file instead of playing it.")
    var audioOut: String?
    @Flag(help: "Play no sound.")
    var mute = false
    @Flag(name: .customLong("no-video"), help: "Do not decode or draw the video.")
    var noVideo = false
    @Option(name: .customLong("max-fps"), help: "Draw at most this many pictures a second.")
    var maxFPS = 15
    @Option(name: .customLong("max-frame-kb"), help: "Drop VP8 frames larger than this many KiB instead of decoding them.")
    var maxFrameKB = VP8FrameAssembler.defaultMaxFrameBytes >> 10
    @Option(name: .customLong("rtp-out"), help: "Also forward the stream as plain RTP to HOST:PORT (audio; video to PORT+2).")
    var rtpOut: String?
    @Option(help: "Write the SDP file of the --rtp-out stream here (for ffplay or VLC).")
    var sdp: String?
    @Option(help: ArgumentHelp("At the end, write the last picture decoded to this file (.png or .ppm).", valueName: "file"))
    var snapshot: String?
    @Option(help: "Stop after this many seconds.")
    var duration: Double?
    @Option(help: "Append mode switches, re-joins and other news to this file.")
    var log: String?

    var servers: [String] { server.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } } }

    /// The channel number and, when the argument was a URL, the server it names.
    var target: (channel: ChannelID, server: String?)? {
        if let number = UInt32(channel), number > 0 { return (ChannelID(number), nil) }
        guard channel.hasPrefix("http://"), let last = channel.split(separator: "/").last, let number = UInt32(last), number > 0 else { return nil }
        let authority = channel.dropFirst(7).prefix { $0 != "/" }
        return (ChannelID(number), "http://\(authority)")
    }

    var rtpDestination: (host: String, port: Int)? {
        guard let rtpOut, let colon = rtpOut.lastIndex(of: ":"), let port = Int(rtpOut[rtpOut.index(after: colon)...]), (1...65533).contains(port) else { return nil }
        return (String(rtpOut[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port)
    }

    func validate() throws {
        guard target != nil else { throw ValidationError("give a channel number, or a URL ending in one (http://HOST:PORT/channels/N)") }
        guard ClusterAPIClient(urls: servers) != nil else { throw ValidationError("--server must look like http://HOST:PORT") }
        guard lossThreshold > 0, lossThreshold < 100 else { throw ValidationError("--loss-threshold is a percentage between 0 and 100") }
        guard (1...60).contains(lossWindow) else { throw ValidationError("--loss-window must be 1 to 60 seconds") }
        guard (16...65536).contains(maxFrameKB) else { throw ValidationError("--max-frame-kb must be 16 to 65536") }
        guard (1...60).contains(maxFPS) else { throw ValidationError("--max-fps must be 1 to 60") }
        if rtpOut != nil && rtpDestination == nil { throw ValidationError("--rtp-out must look like HOST:PORT, PORT at most 65533 (video goes to PORT+2)") }
        if sdp != nil && rtpOut == nil { throw ValidationError("--sdp describes the --rtp-out stream; give --rtp-out too") }
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        if let snapshot {
            guard !noVideo else { throw ValidationError("--snapshot needs the video decoded: not --no-video") }
            do { try PictureFile.checkName(snapshot) } catch { throw ValidationError("\(error)") }
        }
    }

    func run() async throws {
        let target = target!
        let api = ClusterAPIClient(urls: target.server.map { [$0] } ?? servers)!
        let screen = isatty(STDOUT_FILENO) == 1 ? TerminalScreen() : nil
        let view: WatchView = screen.map { TerminalView(screen: $0, maxFramesPerSecond: maxFPS) } ?? LineView()
        let logFile = log.flatMap { path -> FileHandle? in
            if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
            let handle = FileHandle(forWritingAtPath: path)
            _ = try? handle?.seekToEnd()
            return handle
        }
        let audio = AudioOutput.open(device: audioDevice, file: audioOut, muted: mute, channels: 2) { view.news("* \($0)") }
        var forwarder: RTPForwarder?
        if let destination = rtpDestination {
            forwarder = try await RTPForwarder(host: destination.host, port: destination.port, sdpPath: sdp)
            if let sdp {
                view.news("* forwarding RTP to \(destination.host):\(destination.port) (video +2); play it with: ffplay -protocol_whitelist file,udp,rtp \(sdp)")
            }
        }
        let settings = WatchSettings(
            channel: target.channel, name: name, bindTimeout: .milliseconds(Int(bindTimeout * 1000)), forceTCP: tcp,
            policy: .init(lossThreshold: lossThreshold / 100, windowSeconds: lossWindow, probeUDP: probeUDP, probeAfterSeconds: probeAfter),
            decodeVideo: !noVideo, maxFrameBytes: maxFrameKB << 10)
        let session = try WatchSession(settings: settings, api: api, view: view, audio: audio, forwarder: forwarder) { text in
            logFile?.write(Data("\(Date()) \(text)\n".utf8))
        }
        let feed = session.inputFeed
        let signals = SignalWatch([SIGINT, SIGTERM, SIGWINCH]) { number in
            feed.yield(number == SIGWINCH ? .resize : .stop(number == SIGINT ? "Ctrl-C" : "SIGTERM"))
        }
        KeyboardInput.start(feed: feed, raw: screen != nil)
        let timer = Task {
            guard let duration else { return }
            try await Task.sleep(for: .milliseconds(Int(duration * 1000)))
            feed.yield(.stop("--duration \(duration) s reached"))
        }
        let summary: String
        do {
            summary = try await session.run()
        } catch {
            timer.cancel()
            signals.cancel()
            audio.close()
            TerminalScreen.restoreNow()
            FileHandle.standardError.write(Data("viewer: error: \(TerminalText.clean("\(error)"))\n".utf8))
            throw ExitCode(error is ClusterAPIClient.Failure || error is ClientError ? 69 : 70)
        }
        timer.cancel()
        signals.cancel()
        audio.close()
        await forwarder?.close()
        view.close()
        if let snapshot {
            if let picture = session.lastPicture {
                try PictureFile(picture).write(to: snapshot)
            } else {
                FileHandle.standardError.write(Data("viewer: no picture was decoded; \(snapshot) not written\n".utf8))
            }
        }
        TerminalScreen.restoreNow()
        print(TerminalText.clean(summary, keepingLines: true))
    }
}
