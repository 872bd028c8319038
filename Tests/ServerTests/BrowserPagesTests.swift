import Client
import Foundation
import Media
import Testing
import Wire

@testable import Server

/// The portal's watch and broadcast pages in a real headless Chromium (WebDriver) against a
/// running cluster: the session over WebSocket, VP8 and Opus through WebCodecs, the chat.
@Suite(.serialized) struct BrowserPagesTests {
    static let chromium: Comment = "chromedriver is not installed: scripts/install-deps.sh --test installs chromium and chromium-driver"

    static func channels(_ web: RunningWeb) async throws -> [ChannelSummary] {
        try await web.http.json(.GET, "/api/channels", as: [ChannelSummary].self)
    }

    static func number(_ value: Any?) -> Double? { (value as? Double) ?? (value as? Int).map(Double.init) }

    static func screenshot(_ browser: WebDriver, environment: String, name: String) async throws {
        let png = try await browser.screenshot()
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG screenshot")
        let path = ProcessInfo.processInfo.environment[environment] ?? FileManager.default.temporaryDirectory.appendingPathComponent(name).path
        try png.write(to: URL(fileURLWithPath: path))
    }

    /// A CLI broadcaster's test pattern and 440 Hz tone, watched in the page: at least 20 frames a
    /// second, the bars' colours read back from the canvas, the tone's pitch measured in the page
    /// from the decoded AudioData, and chat both ways, shown as text.
    @Test(.enabled(if: WebDriver.available, chromium), .timeLimit(.minutes(3)))
    func theWatchPageShowsTheChannelPlaysItsSoundAndChats() async throws {
        let (csm, units) = try await ClusterTests.startCluster(units: 2)
        let web = try await RunningWeb.start(csm: csm)
        let title = "Bars <b>&amp;</b> tone"
        let broadcaster = try ClientProcess("broadcaster", [
            "--server", web.url, "--title", title, "--name", "ann", "--video", "test", "--size", "320x240", "--fps", "25",
            "--keyframe-seconds", "2", "--audio", "test", "--duration", "60",
        ])
        #expect(try await eventually { try await !Self.channels(web).isEmpty }, "\(broadcaster.text)")
        let channel = try #require(try await Self.channels(web).first).channel

        let browser = try await WebDriver(arguments: ["--autoplay-policy=no-user-gesture-required"])
        try await browser.open("\(web.url)/watch/\(channel)?name=page")
        let frames = "return window.avWatch ? window.avWatch.framesDecoded : 0"
        #expect(try await eventually(timeout: .seconds(20)) { Self.number(try await browser.script(frames)) ?? 0 > 10 })
        #expect(try await browser.script("return document.getElementById('title').textContent") as? String == title, "the title as text")
        #expect(try await browser.script("return window.avWatch.mode") as? String == "tcp")

        // At least 20 of the 25 frames a second, over 5 s.
        let before = Self.number(try await browser.script(frames)) ?? 0
        try await Task.sleep(for: .seconds(5))
        let decoded = (Self.number(try await browser.script(frames)) ?? 0) - before
        #expect(decoded >= 100, "\(decoded) frames decoded in 5 s")

        // The bars, from the canvas. Left to guess, Chromium converts with another matrix (30 off in
        // green); told BT.601 studio range, as the page tells it, it is within a few.
        let pattern = TestPattern(width: 320, height: 240)
        let centres = (0..<TestPattern.bars.count).map { pattern.barCentre($0) }
        let read = try await browser.script("""
            const canvas = document.getElementById('video');
            const context = canvas.getContext('2d');
            return [\(centres.map { "[\($0.x), \($0.y)]" }.joined(separator: ","))].map(([x, y]) => Array.from(context.getImageData(x, y, 1, 1).data.slice(0, 3)));
            """) as? [[Int]] ?? []
        #expect(read.count == TestPattern.bars.count)
        for (bar, pixel) in zip(TestPattern.bars, read) {
            let expected = [Int(bar.r), Int(bar.g), Int(bar.b)]
            #expect(zip(expected, pixel).allSatisfy { abs($0 - $1) <= 12 }, "bar \(expected) read back as \(pixel)")
        }

        // The tone's pitch, measured in the page over the last 16,384 decoded samples.
        let frequency = "return window.avWatch.audioFrequency"
        #expect(try await eventually { Self.number(try await browser.script(frequency)) != nil })
        let pitch = Self.number(try await browser.script(frequency)) ?? 0
        #expect(abs(pitch - 440) <= 5, "the page heard \(pitch) Hz")
        let latency = Self.number(try await browser.script("return window.avWatch.latencyMs")) ?? .infinity
        #expect(latency < 1000, "\(latency) ms behind live")
        let worst = zip(TestPattern.bars, read).map { bar, pixel in zip([Int(bar.r), Int(bar.g), Int(bar.b)], pixel).map { abs($0 - $1) }.max() ?? 0 }.max() ?? -1
        print("watch page: \(decoded) frames decoded in 5 s, bars within \(worst) per channel, \(pitch) Hz, \(latency) ms behind live")

        // Chat: the broadcaster's typed line and a viewer's HTML reach the page as text; the
        // page's line reaches the broadcaster.
        let (viewer, _) = try await csm.http.watch(channel, udp: false, name: "bob")
        broadcaster.type("hello page")
        let hostile = "<img src=x onerror=\"window.hacked=1\"> & \u{1b}[31mred"
        viewer.send(.chat(ChatLine(from: "bob", text: hostile, sentAtMilliseconds: 0)))
        let lines = "return [...document.querySelectorAll('#chat li')].map(li => li.textContent)"
        #expect(try await eventually { (try await browser.script(lines) as? [String] ?? []).contains("ann · broadcasterhello page") }, "the broadcaster's line, marked as the broadcaster's")
        #expect(try await eventually { (try await browser.script(lines) as? [String] ?? []).contains { $0.hasPrefix("bob<img src=x") } })
        #expect(try await browser.script("return document.querySelectorAll('#chat img').length") as? Int == 0, "chat shown as text, not HTML")
        #expect(try await browser.script("return window.hacked === undefined") as? Bool == true)
        _ = try await browser.script("document.getElementById('chat-input').value = 'hi from the page'; document.getElementById('chat-form').requestSubmit(); return 1")
        #expect(await eventually { broadcaster.text.contains("hi from the page") }, "\(broadcaster.text)")
        #expect(try await eventually { (try await csm.view().channels.first { $0.channel == channel }?.viewers ?? 0) >= 2 })

        try await Self.screenshot(browser, environment: "AVCLUSTER_WATCH_SCREENSHOT", name: "watch.png")
        await browser.quit()
        await viewer.close()
        broadcaster.interrupt()
        _ = await broadcaster.finish()
        await web.stop()
        try await units.shutdown()
        await csm.stop()
    }

    /// The broadcast page with Chromium's fake camera and microphone goes live; a CLI viewer of
    /// that channel decodes its pictures and sound and forwards plain RTP, which ffmpeg decodes;
    /// Stop closes the channel.
    @Test(.enabled(if: WebDriver.available, chromium), .timeLimit(.minutes(3)))
    func theBroadcastPageGoesLiveAndACLIViewerAndFFmpegDecodeIt() async throws {
        // One place a unit: the CLI viewer is fed through a relay link from the page's unit.
        let (csm, units) = try await ClusterTests.startCluster(units: 3, groups: 1, capacity: 1, threshold: 1, name: "csm-page-live")
        let web = try await RunningWeb.start(csm: csm)
        let browser = try await WebDriver(arguments: [
            "--use-fake-device-for-media-stream=fps=30", "--use-fake-ui-for-media-stream", "--autoplay-policy=no-user-gesture-required",
        ])
        try await browser.open("\(web.url)/broadcast")
        #expect(try await eventually(timeout: .seconds(20)) {
            (try await browser.script("return document.getElementById('camera').options.length") as? Int ?? 0) > 0
        })
        _ = try await browser.script("""
            document.getElementById('title').value = 'From <the> page';
            document.getElementById('name').value = 'pat';
            document.getElementById('live').requestSubmit();
            return 1
            """)
        let sent = "return window.avBroadcast.framesSent"
        #expect(try await eventually(timeout: .seconds(20)) { Self.number(try await browser.script(sent)) ?? 0 > 30 })
        let channel = try #require(try await Self.channels(web).first)
        #expect(channel.title == "From <the> page" && channel.broadcasterName == "pat")
        #expect(Self.number(try await browser.script("return window.avBroadcast.keyframesSent")) ?? 0 >= 1)

        let (first, _) = try await csm.http.watch(channel.channel, udp: false, name: "first")
        defer { Task { await first.close() } }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("page-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let sdp = directory.appendingPathComponent("stream.sdp").path
        let wav = directory.appendingPathComponent("sound.wav").path
        let png = directory.appendingPathComponent("picture.png").path
        let port = TestPorts.next(count: 3)
        let viewer = try ClientProcess("viewer", [
            "watch", "\(web.url)/channels/\(channel.channel)", "--duration", "8", "--audio-out", wav, "--snapshot", png,
            "--rtp-out", "127.0.0.1:\(port)", "--sdp", sdp,
        ])
        // ffmpeg reads the plain RTP the viewer forwards, as the SDP file describes it.
        #expect(await eventually { FileManager.default.fileExists(atPath: sdp) }, "\(viewer.text)")
        let ffmpeg = Process()
        ffmpeg.executableURL = URL(fileURLWithPath: "/usr/bin/ffmpeg")
        ffmpeg.arguments = ["-hide_banner", "-nostdin", "-protocol_whitelist", "file,udp,rtp", "-i", sdp, "-t", "4", "-f", "null", "-"]
        let ffmpegLog = directory.appendingPathComponent("ffmpeg.log")
        _ = FileManager.default.createFile(atPath: ffmpegLog.path, contents: nil)
        let handle = try FileHandle(forWritingTo: ffmpegLog)
        ffmpeg.standardOutput = handle
        ffmpeg.standardError = handle
        let ffmpegAvailable = FileManager.default.isExecutableFile(atPath: "/usr/bin/ffmpeg")
        if ffmpegAvailable { try ffmpeg.run() }

        #expect(await viewer.finish() == 0, "\(viewer.text)")
        let shown = Int(viewer.text.firstMatch(of: /(\d+) frames shown/)?.1 ?? "0") ?? 0
        #expect(shown >= 100, "\(viewer.text)")
        let sound = try WAVFormat(parsing: [UInt8](Data(contentsOf: URL(fileURLWithPath: wav))), path: wav)
        let seconds = Double(sound.samples.count / max(1, sound.channels)) / Double(sound.sampleRate)
        #expect(seconds > 5, "\(seconds) s of sound")
        let peak = sound.samples.map { abs(Int($0)) }.max() ?? 0
        #expect(peak > 1000, "the fake microphone's beeps came through (peak \(peak))")
        let picture = try Data(contentsOf: URL(fileURLWithPath: png))
        #expect(picture.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        if ffmpegAvailable {
            while ffmpeg.isRunning { try await Task.sleep(for: .milliseconds(100)) }
            let log = (try? String(contentsOf: ffmpegLog, encoding: .utf8)) ?? ""
            let decoded = Int(log.matches(of: /frame=\s*(\d+)/).last?.1 ?? "0") ?? 0
            #expect(ffmpeg.terminationStatus == 0 && decoded >= 30, "ffmpeg decoded \(decoded) frames: \(log.suffix(1500))")
            #expect(log.contains("Audio: opus") && log.contains("Video: vp8"), "\(log.suffix(1500))")
        }

        try await Self.screenshot(browser, environment: "AVCLUSTER_BROADCAST_SCREENSHOT", name: "broadcast.png")
        // Stop closes the channel.
        _ = try await browser.script("document.getElementById('stop').click(); return 1")
        #expect(try await eventually { try await Self.channels(web).isEmpty })
        await browser.quit()
        await web.stop()
        try await units.shutdown()
        await csm.stop()
    }

    /// A channel fed by ffmpeg over RTMP (H.264 and AAC, as OBS sends them) in the page: WebCodecs
    /// decodes the H.264 (`avc1`, configured from the SPS), the canvas shows testsrc2's colours and
    /// the page hears the 440 Hz tone the unit made Opus.
    @Test(.enabled(if: WebDriver.available, chromium), .timeLimit(.minutes(3)))
    func theWatchPageShowsAnRTMPChannelsH264AndPlaysItsSound() async throws {
        let (csm, units) = try await ClusterTests.startCluster(units: 1, name: "csm-page-rtmp")
        let web = try await RunningWeb.start(csm: csm)
        let rtmp = try #require(units.unit.address.rtmpPort)
        let key = try await RTMPIngestTests.streamKey(csm, title: "OBS in the page")
        let publisher = try RTMPIngestTests.publisher(to: "rtmp://127.0.0.1:\(rtmp)/live/\(key.key)", seconds: 60)
        #expect(try await eventually { try await !Self.channels(web).isEmpty }, "\(publisher.text)")
        let channel = try #require(try await Self.channels(web).first).channel

        let browser = try await WebDriver(arguments: ["--autoplay-policy=no-user-gesture-required"])
        try await browser.open("\(web.url)/watch/\(channel)?name=page")
        let frames = "return window.avWatch ? window.avWatch.framesDecoded : 0"
        let started = try await eventually(timeout: .seconds(20)) { Self.number(try await browser.script(frames)) ?? 0 > 10 }
        let news = try await browser.script("return document.body.innerText") as? String ?? ""
        #expect(started, "\(news)")
        #expect(try await browser.script("return window.avWatch.videoCodec") as? String == "h264")
        let before = Self.number(try await browser.script(frames)) ?? 0
        try await Task.sleep(for: .seconds(4))
        let decoded = (Self.number(try await browser.script(frames)) ?? 0) - before
        #expect(decoded >= 80, "\(decoded) frames of 25 a second decoded in 4 s")
        // testsrc2's colours on the canvas: strong red, green and blue areas.
        let counts = try await browser.script("""
            const canvas = document.getElementById('video');
            const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
            let red = 0, green = 0, blue = 0;
            for (let i = 0; i < data.length; i += 4) {
              const [r, g, b] = [data[i], data[i + 1], data[i + 2]];
              if (r > 180 && g < 90 && b < 90) red++;
              if (g > 180 && r < 90 && b < 90) green++;
              if (b > 180 && r < 90 && g < 90) blue++;
            }
            return [canvas.width, canvas.height, red, green, blue];
            """) as? [Int] ?? []
        #expect(counts.count == 5 && counts[0] == 320 && counts[1] == 240, "\(counts)")
        #expect(counts.count == 5 && counts[2...].allSatisfy { $0 > 2000 }, "red, green and blue pixels: \(counts)")
        let frequency = "return window.avWatch.audioFrequency"
        #expect(try await eventually { Self.number(try await browser.script(frequency)) != nil })
        let pitch = Self.number(try await browser.script(frequency)) ?? 0
        #expect(abs(pitch - 440) <= 5, "the page heard \(pitch) Hz")
        print("watch page, H.264 over RTMP: \(decoded) frames decoded in 4 s, colours \(counts), \(pitch) Hz")
        await browser.quit()
        await RTMPIngestTests.stop(publisher)
        await web.stop()
        await csm.stop()
    }

    /// A page that stops reading (a proxy between it and its unit stops reading for it) falls
    /// behind: the unit gives it audio only, then video again at a keyframe once it has caught up;
    /// a TCP viewer beside it on the same unit misses nothing.
    @Test(.enabled(if: WebDriver.available, chromium), .timeLimit(.minutes(3)))
    func aSlowPageGetsAudioOnlyThenVideoAgainAndTheOthersMissNothing() async throws {
        let proxy = try await ThrottlingProxy()
        let port = proxy.port
        let (csm, units) = try await ClusterTests.startCluster(units: 1) {
            $0.webSocketPublicPort = port
            $0.sessionSendBuffer = 16 << 10
            $0.lagThreshold = 40
        }
        proxy.target.withLockedValue { $0 = units.unit.webSocketBoundPort ?? 0 }
        let web = try await RunningWeb.start(csm: csm)
        let broadcaster = try ClientProcess("broadcaster", [
            "--server", web.url, "--title", "fast", "--video", "test", "--size", "640x480", "--fps", "25", "--video-kbps", "3000",
            "--keyframe-seconds", "1", "--audio", "test", "--duration", "90",
        ])
        #expect(try await eventually { try await !Self.channels(web).isEmpty }, "\(broadcaster.text)")
        let channel = try #require(try await Self.channels(web).first).channel
        let (bystander, _) = try await csm.http.watch(channel, udp: false, name: "bystander")
        let recorder = EventRecorder(bystander)
        bystander.send(.setMode(.tcp, reason: "test"))

        let browser = try await WebDriver(arguments: ["--autoplay-policy=no-user-gesture-required"])
        try await browser.open("\(web.url)/watch/\(channel)?name=slow")
        let frames = "return window.avWatch.framesDecoded"
        #expect(try await eventually(timeout: .seconds(20)) { Self.number(try await browser.script(frames)) ?? 0 > 10 })
        let start = recorder.recorded.packets.count

        // The page stops reading until its unit can write no more to it, and 2 s (about 150
        // packets, past the lag threshold of 40) longer.
        try await proxy.pause(true)
        let stuck = try await eventually(timeout: .seconds(40)) {
            try await units.unit.inspect { unit in unit.sessions.values.contains { $0.overWebSocket && !$0.connection.isWritable } }
        }
        #expect(stuck, "the unit's writes to the page never backed up")
        try await Task.sleep(for: .seconds(2))
        try await proxy.pause(false)
        #expect(try await eventually(timeout: .seconds(20)) { Self.number(try await browser.script("return window.avWatch.videoSkips")) ?? 0 >= 1 })
        #expect(try await eventually(timeout: .seconds(20)) { try await browser.script("return window.avWatch.videoOnlyAudio") as? Bool == false })
        let keyframes = Self.number(try await browser.script("return window.avWatch.keyframesDecoded")) ?? 0
        let framesBack = Self.number(try await browser.script(frames)) ?? 0
        #expect(try await eventually(timeout: .seconds(10)) { Self.number(try await browser.script(frames)) ?? 0 > framesBack + 25 }, "video again")
        #expect(Self.number(try await browser.script("return window.avWatch.keyframesDecoded")) ?? 0 >= keyframes, "it restarted at a keyframe")

        // The bystander got every packet of both streams, in order, and was never cut to audio.
        let window = recorder.recorded.packets.dropFirst(start).map(\.packet)
        var gaps = 0
        for ssrc in Set(window.map(\.ssrc)) {
            let stream = window.filter { $0.ssrc == ssrc }.map(\.sequence)
            gaps += zip(stream, stream.dropFirst()).filter { $1 != $0 &+ 1 }.count
        }
        #expect(window.count > 200 && gaps == 0, "the bystander: \(window.count) packets, \(gaps) gaps")
        #expect(!recorder.recorded.messages.contains { if case .videoSkipped(true, _) = $0 { true } else { false } })

        await browser.quit()
        await bystander.close()
        broadcaster.interrupt()
        _ = await broadcaster.finish()
        await proxy.close()
        await web.stop()
        try await units.shutdown()
        await csm.stop()
    }

    /// The unit a page watches through goes away: the page joins again through the API, lands
    /// on another unit, resumes where it left off and goes on decoding.
    @Test(.enabled(if: WebDriver.available, chromium), .timeLimit(.minutes(3)))
    func aPageWhoseUnitGoesAwayJoinsAgainElsewhere() async throws {
        // One place a unit: the first viewer fills the root's unit, the page goes to another.
        let (csm, units) = try await ClusterTests.startCluster(units: 3, groups: 1, capacity: 1, threshold: 1, name: "csm-page-rejoin")
        let web = try await RunningWeb.start(csm: csm)
        let broadcaster = try ClientProcess("broadcaster", [
            "--server", web.url, "--title", "moving", "--video", "test", "--size", "320x240", "--fps", "25", "--keyframe-seconds", "1",
            "--audio", "test", "--duration", "90",
        ])
        #expect(try await eventually { try await !Self.channels(web).isEmpty }, "\(broadcaster.text)")
        let channel = try #require(try await Self.channels(web).first).channel
        let (first, _) = try await csm.http.watch(channel, udp: false, name: "first")

        let browser = try await WebDriver(arguments: ["--autoplay-policy=no-user-gesture-required"])
        try await browser.open("\(web.url)/watch/\(channel)?name=mover")
        let frames = "return window.avWatch.framesDecoded"
        #expect(try await eventually(timeout: .seconds(20)) { Self.number(try await browser.script(frames)) ?? 0 > 10 })
        let unit = Int(Self.number(try await browser.script("return window.avWatch.unit")) ?? 0)
        let root = try #require(try await csm.view().channels.first { $0.channel == channel }).root.unit
        #expect(unit != 0 && unit != Int(root.rawValue), "the page is on unit \(unit), the root on \(root)")

        try await units.units[unit - 1].shutdown()
        #expect(try await eventually(timeout: .seconds(20)) { (try await browser.script("return window.avWatch.rejoins.length") as? Int ?? 0) >= 1 })
        let rejoin = try await browser.script("return window.avWatch.rejoins[0]") as? [String: Any] ?? [:]
        let newUnit = Int(Self.number(rejoin["unit"]) ?? 0)
        #expect(newUnit != unit && newUnit != 0, "joined again on unit \(newUnit)")
        let after = Self.number(try await browser.script(frames)) ?? 0
        #expect(try await eventually(timeout: .seconds(15)) { Self.number(try await browser.script(frames)) ?? 0 > after + 25 }, "decoding again")
        let message = try await browser.script("return document.getElementById('message').textContent") as? String ?? ""
        #expect(message.contains("joined again on unit \(newUnit)"), "\(message)")
        print("page re-joined from unit \(unit) to unit \(newUnit) after \(Self.number(rejoin["gapMs"]) ?? -1) ms")

        await browser.quit()
        await first.close()
        broadcaster.interrupt()
        _ = await broadcaster.finish()
        await web.stop()
        for (index, running) in units.units.enumerated() where index != unit - 1 { try? await running.shutdown() }
        try? await units.loops.shutdownGracefully()
        await csm.stop()
    }
}
