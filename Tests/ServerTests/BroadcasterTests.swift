import Client
import Foundation
import Media
import NIOCore
import Testing
import Wire

@testable import Server

/// A real broadcaster process (test pattern and tone through the real encoders) streaming to a
/// real cluster.
@Suite(.serialized) struct BroadcasterTests {
    /// What one viewer received from streams captured within a window: packets per stream, the
    /// video frames' keyframe flags, and how old each packet was on arrival.
    struct Reception {
        var audioPackets = 0
        var videoFrames: [Bool] = []
        var captureAgesMicroseconds: [Int64] = []
    }

    /// Counts what was captured from `skip` after now for `window` (arrival bursts of a backlog
    /// do not count twice, as capture times are the broadcaster's).
    static func watch(_ client: SessionClient, skip: Duration = .milliseconds(500), window: Duration) async -> Reception {
        func microseconds(_ duration: Duration) -> UInt64 { UInt64(duration.components.seconds) * 1_000_000 + UInt64(duration.components.attoseconds / 1_000_000_000_000) }
        let from = CaptureTime.now.microsecondsSinceEpoch + microseconds(skip)
        let until = from + microseconds(window)
        return await withTaskGroup(of: Reception.self) { group in
            group.addTask {
                var reception = Reception()
                var assembler = VP8FrameAssembler()
                for await event in client.events {
                    guard case .media(let buffer, _) = event, let packet = try? RTPPacket(parsing: buffer), let capture = packet.captureTime
                    else { continue }
                    if capture.microsecondsSinceEpoch >= until + 300_000 { break }
                    guard capture.microsecondsSinceEpoch >= from, capture.microsecondsSinceEpoch < until else { continue }
                    reception.captureAgesMicroseconds.append(capture.age(at: .now))
                    switch packet.payloadType {
                    case RTPPayloadFormat.opus.payloadType: reception.audioPackets += 1
                    case RTPPayloadFormat.vp8.payloadType:
                        for output in (try? assembler.append(packet)) ?? [] {
                            if case .frame(let frame) = output { reception.videoFrames.append(frame.isKeyframe) }
                        }
                    default: break
                    }
                }
                return reception
            }
            let reception = await group.next()!
            group.cancelAll()
            return reception
        }
    }

    @Test func aBroadcasterStreamsAtItsRatesWithKeyframesOnTime() async throws {
        let (csm, units) = try await ClusterTests.startCluster(units: 1)
        defer { _ = units }
        let broadcaster = try ClientProcess("broadcaster", [
            "--server", "http://127.0.0.1:\(csm.ports.http)", "--title", "pattern", "--name", "tester",
            "--video", "test", "--size", "320x240", "--fps", "25", "--keyframe-seconds", "1", "--audio", "test", "--duration", "8",
        ])
        #expect(try await eventually { try await !csm.http.json(.GET, "/api/channels", as: [ChannelSummary].self).isEmpty })
        let channel = try #require(try await csm.http.json(.GET, "/api/channels", as: [ChannelSummary].self).first)
        #expect(channel.title == "pattern" && channel.broadcasterName == "tester")
        let (viewer, _) = try await csm.http.watch(channel.channel)
        let reception = await Self.watch(viewer, window: .seconds(4))

        // Chat both ways: typed lines reach the viewer, the viewer's lines are printed.
        let chat = EventRecorder(viewer)
        broadcaster.type("hello from the broadcaster")
        #expect(await chat.wait { $0.messages.contains { if case .chat(let line) = $0 { line.text == "hello from the broadcaster" && line.from == "tester" } else { false } } })
        viewer.send(.chat(ChatLine(from: "viewer", text: "hi back", sentAtMilliseconds: 0)))
        #expect(await eventually { broadcaster.text.contains("hi back") }, "\(broadcaster.text)")
        await viewer.close()

        // 4 s: 200 audio packets of 20 ms, 100 frames at 25 fps, a keyframe every 25 frames.
        #expect((180...220).contains(reception.audioPackets), "\(reception.audioPackets) audio packets")
        #expect((90...110).contains(reception.videoFrames.count), "\(reception.videoFrames.count) video frames")
        let keyframes = reception.videoFrames.indices.filter { reception.videoFrames[$0] }
        let intervals = zip(keyframes, keyframes.dropFirst()).map { $1 - $0 }
        #expect(intervals.count >= 2 && intervals.allSatisfy { $0 == 25 }, "keyframes at \(keyframes)")
        // Every packet carries its capture time; how long it took is the benchmarks' business
        // (`avbench fanout` measures it beside the machine's floor), not a test's on a shared machine.
        let ages = reception.captureAgesMicroseconds.sorted()
        #expect(ages.count > 100, "\(ages.count) packets carried their capture time")
        if !ages.isEmpty { print("median capture-to-viewer age \(ages[ages.count / 2]) µs") }

        #expect(await broadcaster.finish() == 0, "\(broadcaster.text)")
        #expect(broadcaster.text.contains("over UDP"))
        #expect(try await csm.http.json(.GET, "/api/channels", as: [ChannelSummary].self).isEmpty, "closed on exit")
        await csm.stop()
    }

    @Test func sixtyMillisecondAudioFramesSendAThirdOfThePackets() async throws {
        let (csm, units) = try await ClusterTests.startCluster(units: 1)
        defer { _ = units }
        let broadcaster = try ClientProcess("broadcaster", [
            "--server", "http://127.0.0.1:\(csm.ports.http)", "--title", "radio", "--video", "none", "--audio", "test",
            "--audio-frame-ms", "60", "--duration", "6",
        ])
        #expect(try await eventually { try await !csm.http.json(.GET, "/api/channels", as: [ChannelSummary].self).isEmpty })
        let channel = try #require(try await csm.http.json(.GET, "/api/channels", as: [ChannelSummary].self).first)
        let (viewer, _) = try await csm.http.watch(channel.channel)
        var durations: [Int] = []
        for await event in viewer.events {
            guard case .media(let buffer, _) = event, let packet = try? RTPPacket(parsing: buffer) else { continue }
            durations.append((try? OpusTOC(payload: packet.payload.readableBytesView).samplesAt48kHz) ?? 0)
            if durations.count == 40 { break }
        }
        await viewer.close()
        #expect(durations.allSatisfy { $0 == 2880 }, "\(durations)")
        #expect(await broadcaster.finish() == 0, "\(broadcaster.text)")
        // 6 s of 60 ms frames: 100 packets, where 20 ms frames would be 300.
        let packets = Int(broadcaster.text.firstMatch(of: /(\d+) audio packets/)?.1 ?? "0") ?? 0
        #expect((85...105).contains(packets), "\(broadcaster.text)")
        #expect(broadcaster.text.contains("in 60 ms frames"))
        await csm.stop()
    }

    @Test func theEmulatedCameraGoesThroughTheWholeCapturePath() async throws {
        let (csm, units) = try await ClusterTests.startCluster(units: 1)
        defer { _ = units }
        let broadcaster = try ClientProcess("broadcaster", [
            "--server", "http://127.0.0.1:\(csm.ports.http)", "--title", "camera", "--video", "emulated", "--size", "320x240",
            "--audio", "none", "--duration", "3", "--tcp",
        ])
        #expect(await broadcaster.finish() == 0, "\(broadcaster.text)")
        #expect(broadcaster.text.contains("emulated camera YUYV 320x240"))
        #expect(broadcaster.text.contains("over TCP"))
        // The rate is the other test's business (this one converts every frame in a debug build):
        // frames came through the whole path, and not more than real time allows.
        let frames = Int(broadcaster.text.firstMatch(of: /sent (\d+) video frames/)?.1 ?? "0") ?? 0
        #expect((25...80).contains(frames), "\(broadcaster.text)")
        await csm.stop()
    }

    @Test func whenTheUnitDiesBroadcasterAndViewerComeBackOnTheNewRootAndSayHowLongTheGapWas() async throws {
        let csm = try await RunningCSM.start()
        let first = try UnitProcess(id: 1, csm: csm.unitAddress, secret: UnitHarness.secret)
        #expect(try await eventually { try await csm.activeUnits() == 1 })
        let second = try UnitProcess(id: 2, csm: csm.unitAddress, secret: UnitHarness.secret)
        #expect(try await eventually { try await csm.activeUnits() == 2 })
        let broadcaster = try ClientProcess("broadcaster", [
            "--server", "http://127.0.0.1:\(csm.ports.http)", "--title", "moving", "--video", "test", "--size", "160x120",
            "--audio", "test", "--duration", "12",
        ])
        #expect(await eventually { broadcaster.text.contains("over UDP") })
        #expect(try await csm.view().channels.first?.root.unit == 1)
        let watcher = try ClientProcess("viewer", ["watch", "1", "--server", "http://127.0.0.1:\(csm.ports.http)", "--mute", "--duration", "10"])
        #expect(await eventually { watcher.text.contains("on unit 127.0.0.1") })
        first.kill()
        #expect(await eventually(timeout: .seconds(8)) { broadcaster.text.contains("after a gap of") }, "\(broadcaster.text)")
        // The viewer on the dead unit re-joins too, and says how long it missed.
        #expect(await eventually(timeout: .seconds(8)) { watcher.text.contains(/back on unit .* after a gap of/) }, "\(watcher.text)")
        #expect(try await csm.view().channels.first?.root.unit == 2)
        let (viewer, place) = try await csm.http.watch(try #require(try await csm.view().channels.first?.channel))
        #expect(place.unit.unit == 2)
        let reception = await Self.watch(viewer, skip: .zero, window: .seconds(2))
        #expect(reception.audioPackets > 80, "the stream goes on from the new root")
        await viewer.close()
        broadcaster.interrupt()
        #expect(await broadcaster.finish() == 0, "\(broadcaster.text)")
        #expect(await watcher.finish() == 0, "\(watcher.text)")
        #expect(watcher.text.contains("1 re-joins"), "\(watcher.text)")
        _ = second
        await csm.stop()
    }

    /// `ffmpeg ... -f yuv4mpegpipe - | broadcaster --video - --audio talk.wav`: pictures from a
    /// pipe and sound from a file go out in real time, and the broadcast ends with the pipe.
    @Test func aRecordedTalkOnStandardInputGoesOutInRealTimeAndEndsWithIt() async throws {
        let (csm, units) = try await ClusterTests.startCluster(units: 1)
        defer { _ = units }
        let sound = FileManager.default.temporaryDirectory.appendingPathComponent("talk-\(UUID().uuidString).wav")
        defer { try? FileManager.default.removeItem(at: sound) }
        let tone = ToneSource(channels: 1, frequency: 440)
        try Data(WAVFormat(sampleRate: 48_000, channels: 1, samples: try (0..<400).flatMap { _ in try tone.read() }).bytes).write(to: sound)
        let broadcaster = try ClientProcess("broadcaster", [
            "--server", "http://127.0.0.1:\(csm.ports.http)", "--title", "Talk", "--video", "-", "--audio", sound.path,
        ])
        // 5 s of pictures at 25 fps, written as fast as the pipe takes them.
        let writer = Thread {
            broadcaster.write(Array("YUV4MPEG2 W160 H120 F25:1 Ip A1:1 C420jpeg\n".utf8))
            for index in 0..<125 {
                broadcaster.write(Array("FRAME\n".utf8) + I420Frame(width: 160, height: 120, y: UInt8(16 + index % 200)).bytes)
            }
            broadcaster.closeInput()
        }
        writer.start()
        #expect(try await eventually { try await !csm.http.json(.GET, "/api/channels", as: [ChannelSummary].self).isEmpty }, "\(broadcaster.text)")
        let channel = try #require(try await csm.http.json(.GET, "/api/channels", as: [ChannelSummary].self).first)
        #expect(channel.title == "Talk")
        let (viewer, _) = try await csm.http.watch(channel.channel)
        let reception = await Self.watch(viewer, window: .seconds(2))
        await viewer.close()
        // Paced at the file's 25 fps and 50 audio frames a second, not as fast as the pipe goes.
        #expect((40...60).contains(reception.videoFrames.count), "\(reception.videoFrames.count) frames in 2 s")
        #expect((80...120).contains(reception.audioPackets), "\(reception.audioPackets) audio packets in 2 s")
        #expect(await broadcaster.finish() == 0, "\(broadcaster.text)")
        #expect(broadcaster.text.contains("stopped (standard input ended)") && broadcaster.text.contains("sent 125 video frames"), "\(broadcaster.text)")
        #expect(broadcaster.text.contains("channel \(channel.channel) closed"), "\(broadcaster.text)")
        await csm.stop()
    }

    @Test func badFlagsAndMissingDevicesExitWithTheirCodes() async throws {
        let cases: [([String], Int32, String)] = [
            (["--video", "test", "--audio", "test"], 64, "--title"),
            (["--title", "t", "--size", "641x360", "--video", "test"], 64, "--size"),
            (["--title", "t", "--video", "none", "--audio", "test", "--audio-frame-ms", "30"], 64, "--audio-frame-ms must be one of 10, 20, 40, 60"),
            (["--title", "t", "--video", "/dev/video-none", "--audio", "test"], 66, "--video test"),
            (["--title", "t", "--video", "none", "--audio", "/nonexistent.wav"], 66, "WAV"),
            (["--title", "t", "--video", "/nonexistent.y4m", "--audio", "none"], 66, "YUV4MPEG2"),
            (["--title", "t", "--video", "-", "--audio", "none", "--loop"], 65, "--loop needs a file"),
            (["--title", "t", "--video", "test", "--pixel-format", "YUYV2"], 64, "--pixel-format"),
            (["--title", "t", "--video", "test", "--audio", "test", "--server", "http://127.0.0.1:9"], 69, "no server answered"),
        ]
        for (arguments, code, message) in cases {
            let process = try ClientProcess("broadcaster", arguments)
            #expect(await process.finish() == code, "\(arguments): \(process.text)")
            #expect(process.text.contains(message), "\(arguments): \(process.text)")
        }
    }
}
