import Client
import Foundation
import Media
import NIOCore
import NIOPosix
import Testing
import Wire

@testable import Server

/// Publishers this project did not write, on a real cluster: ffmpeg pushes the test pattern as
/// H.264 and a 440 Hz tone as AAC over RTMP with a stream key the admin API made, as OBS does;
/// a real `viewer` watches, and a second ffmpeg decodes what the viewer forwards.
@Suite(.serialized) struct RTMPIngestTests {
    static let ffmpeg = "/usr/bin/ffmpeg"

    /// ffmpeg publishing `seconds` of the pattern and the tone to `url` (x264 with no B-frames and
    /// a keyframe a second, as the README tells OBS users).
    static func publisher(to url: String, seconds: Int) throws -> ClientProcess {
        try ClientProcess(ffmpeg, [
            "-hide_banner", "-loglevel", "error", "-re",
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", "\(seconds)", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-bf", "0", "-g", "25",
            "-c:a", "aac", "-b:a", "96k", "-f", "flv", url,
        ])
    }

    /// Stops an ffmpeg as its user would, with "q" (a signal may be blocked in a child of this
    /// test process, whose threads block them).
    static func stop(_ ffmpeg: ClientProcess) async {
        ffmpeg.write(Array("q".utf8))
        _ = await ffmpeg.finish()
    }

    static func streamKey(_ csm: RunningCSM, title: String = "from ffmpeg") async throws -> StreamKeyResponse {
        try await csm.http.json(.POST, "/admin/stream-keys", body: StreamKeyRequest(title: title), as: StreamKeyResponse.self)
    }

    static func channels(_ csm: RunningCSM) async throws -> [ChannelSummary] {
        try await csm.http.json(.GET, "/api/channels", as: [ChannelSummary].self)
    }

    @Test func ffmpegGoesLiveWithAStreamKeyAndAViewerGetsThePatternAndTheTone() async throws {
        let (csm, units) = try await ClusterTests.startCluster(units: 1, name: "csm-rtmp")
        let rtmp = try #require(units.unit.address.rtmpPort)
        let key = try await Self.streamKey(csm, title: "pattern and tone")
        #expect(key.key.hasPrefix("avk_"))
        let publisher = try Self.publisher(to: "rtmp://127.0.0.1:\(rtmp)/live/\(key.key)", seconds: 25)
        #expect(try await eventually { try await Self.channels(csm).contains { $0.videoCodec == .h264 } }, "\(publisher.text)")
        let channel = try #require(try await Self.channels(csm).first)
        #expect(channel.title == "pattern and tone")
        // The ingest's state, as the root reports it to the CSM (the dashboard and the portal show it).
        let reported = try await eventually {
            let state = try await csm.view().channels.first?.publisher
            return state?.ingest == "rtmp" && state?.videoCodec == .h264 && (state?.kilobitsPerSecond ?? 0) > 50 && (state?.framesPerSecond ?? 0) > 15
        }
        let state = try await csm.view().channels.first?.publisher
        #expect(reported, "\(String(describing: state))")
        let joined = try await csm.http.join(channel.channel)
        #expect(joined.videoCodec == .h264 && joined.unit.unit == 1, "rooted at the unit that took the publisher")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rtmp-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let sdp = directory.appendingPathComponent("stream.sdp").path
        let wav = directory.appendingPathComponent("sound.wav").path
        let frames = directory.appendingPathComponent("frames.rgb").path
        let png = directory.appendingPathComponent("picture.png").path
        let port = TestPorts.next(count: 3)
        let viewer = try ClientProcess("viewer", [
            "watch", "http://127.0.0.1:\(csm.ports.http)/channels/\(channel.channel)", "--duration", "10", "--audio-out", wav, "--snapshot", png,
            "--rtp-out", "127.0.0.1:\(port)", "--sdp", sdp,
        ])
        #expect(await eventually { FileManager.default.fileExists(atPath: sdp) }, "\(viewer.text)")
        let description = try String(contentsOfFile: sdp, encoding: .utf8)
        #expect(description.contains("m=video \(port + 2) RTP/AVP 102\r\na=rtpmap:102 H264/90000\r\na=fmtp:102 packetization-mode=1"), "\(description)")
        // A player that knows the stream only from the viewer's SDP, as a user's ffplay would.
        let decoder = try ClientProcess(Self.ffmpeg, [
            "-hide_banner", "-loglevel", "error", "-protocol_whitelist", "file,udp,rtp", "-i", sdp,
            "-map", "0:v", "-frames:v", "25", "-f", "rawvideo", "-pix_fmt", "rgb24", "-y", frames,
        ])
        let decoded = await decoder.finish()
        #expect(await viewer.finish() == 0, "\(viewer.text)")
        #expect(decoded == 0, "\(decoder.text)")
        // The viewer itself decoded the H.264 (libavcodec) for the terminal: about 25 a second.
        let shown = Int(viewer.text.firstMatch(of: /(\d+) frames shown/)?.1 ?? "0") ?? 0
        #expect(shown >= 200, "\(viewer.text)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: png)).starts(with: [0x89, 0x50, 0x4E, 0x47]), "a snapshot of the last picture")
        let picture = [UInt8](try Data(contentsOf: URL(fileURLWithPath: frames)))
        #expect(picture.count == 25 * 320 * 240 * 3, "25 whole frames of 320x240")
        // testsrc2's colours, not a grey or green frame: strong red, green and blue areas.
        let last = picture.suffix(320 * 240 * 3)
        let pixels = stride(from: last.startIndex, to: last.endIndex, by: 3).map { (last[$0], last[$0 + 1], last[$0 + 2]) }
        let red = pixels.count { $0.0 > 180 && $0.1 < 90 && $0.2 < 90 }
        let green = pixels.count { $0.1 > 180 && $0.0 < 90 && $0.2 < 90 }
        let blue = pixels.count { $0.2 > 180 && $0.0 < 90 && $0.1 < 90 }
        #expect(red > 2000 && green > 2000 && blue > 2000, "red \(red), green \(green), blue \(blue) pixels")

        // The tone, as the viewer played it: AAC became Opus at the unit and still sounds at 440 Hz.
        let sound = try WAVFormat(parsing: [UInt8](Data(contentsOf: URL(fileURLWithPath: wav))), path: wav)
        #expect(Double(sound.samples.count / 2) / 48_000 > 8, "about 10 s of sound")
        #expect(abs(SoundAnalysis.frequency(of: Array(sound.samples.dropFirst(48_000)), channels: 2) - 440) < 5)
        await Self.stop(publisher)
        await csm.stop()
    }

    @Test func aReturningPublisherKeepsItsChannelAndItsViewers() async throws {
        let (csm, units) = try await ClusterTests.startCluster(units: 1, name: "csm-rtmp-return")
        let rtmp = try #require(units.unit.address.rtmpPort)
        let key = try await Self.streamKey(csm)
        let url = "rtmp://127.0.0.1:\(rtmp)/live/\(key.key)"
        let first = try Self.publisher(to: url, seconds: 30)
        #expect(try await eventually { try await !Self.channels(csm).isEmpty }, "\(first.text)")
        let channel = try #require(try await Self.channels(csm).first).channel
        // Over TCP: a UDP viewer here would have to renew its bind as the viewer CLI does.
        let (viewer, _) = try await csm.http.watch(channel, udp: false)
        let recorder = EventRecorder(viewer)
        viewer.send(.setMode(.tcp, reason: "test"))
        #expect(await recorder.wait { $0.packets.count > 50 })
        await Self.stop(first)
        try await Task.sleep(for: .milliseconds(500))
        let before = recorder.recorded.packets.count
        let second = try Self.publisher(to: url, seconds: 30)
        #expect(await recorder.wait { $0.packets.count > before + 100 }, "the viewer gets the returning publisher's stream: \(second.text)")
        let listed = try await Self.channels(csm)
        #expect(listed.map(\.channel) == [channel], "the same channel goes on: \(listed)")
        #expect(!recorder.recorded.closed, "the viewer stayed joined")
        await Self.stop(second)
        await csm.stop()
    }

    @Test func aForgedOrRevokedKeyOpensNothing() async throws {
        let (csm, units) = try await ClusterTests.startCluster(units: 1, name: "csm-rtmp-keys")
        let rtmp = try #require(units.unit.address.rtmpPort)
        let key = try await Self.streamKey(csm)
        // One character changed: the signature no longer holds.
        var forged = Array(key.key)
        forged[10] = forged[10] == "A" ? "B" : "A"
        let refused = try Self.publisher(to: "rtmp://127.0.0.1:\(rtmp)/live/\(String(forged))", seconds: 5)
        #expect(await refused.finish() != 0, "ffmpeg's publish is refused: \(refused.text)")
        #expect(try await Self.channels(csm).isEmpty)

        #expect(try await csm.http.send(.DELETE, "/admin/stream-keys/\(key.id)").status == 200)
        let revoked = try Self.publisher(to: "rtmp://127.0.0.1:\(rtmp)/live/\(key.key)", seconds: 5)
        #expect(await revoked.finish() != 0, "a revoked key is refused: \(revoked.text)")
        #expect(try await Self.channels(csm).isEmpty)
        await csm.stop()
    }

    /// GStreamer's rtmp2sink, a second RTMP client written apart from ffmpeg's, as the README's
    /// one-liner runs it.
    @Test func gstreamerPublishesAsASecondIndependentClient() async throws {
        let (csm, units) = try await ClusterTests.startCluster(units: 1, name: "csm-rtmp-gst")
        let rtmp = try #require(units.unit.address.rtmpPort)
        let key = try await Self.streamKey(csm, title: "from GStreamer")
        let gstreamer = try ClientProcess("/usr/bin/gst-launch-1.0", [
            "-q", "videotestsrc", "is-live=true", "num-buffers=250", "!", "video/x-raw,width=320,height=240,framerate=25/1",
            "!", "x264enc", "tune=zerolatency", "bframes=0", "key-int-max=25", "!", "h264parse", "!", "flvmux", "name=m", "streamable=true",
            "!", "rtmp2sink", "location=rtmp://127.0.0.1:\(rtmp)/live/\(key.key)",
            "audiotestsrc", "is-live=true", "num-buffers=470", "!", "audioconvert", "!", "avenc_aac", "!", "m.",
        ])
        #expect(try await eventually { try await !Self.channels(csm).isEmpty }, "\(gstreamer.text)")
        let channel = try #require(try await Self.channels(csm).first)
        #expect(channel.title == "from GStreamer" && channel.videoCodec == .h264)
        let (viewer, _) = try await csm.http.watch(channel.channel, udp: false)
        let recorder = EventRecorder(viewer)
        viewer.send(.setMode(.tcp, reason: "test"))
        // Two seconds of both streams, a keyframe (SPS first) among them.
        let h264 = RTPPayloadFormat.h264.payloadType
        let enough = await recorder.wait { recorded in
            return recorded.packets.contains { $0.packet.payloadType == h264 && $0.packet.startsKeyframe }
                && recorded.packets.count { $0.packet.payloadType == RTPPayloadFormat.opus.payloadType } >= 100
        }
        #expect(enough, "\(recorder.recorded.packets.count) packets; \(gstreamer.text)")
        _ = await gstreamer.finish()
        await csm.stop()
    }

    /// A channel fed over RTMP grows across units as any does: a viewer on the second unit, fed
    /// over a relay link, starts at the feed's last keyframe (SPS, PPS, IDR), so its first whole
    /// picture comes within 300 ms of its first packet, and it decodes.
    @Test func anRTMPChannelGrowsAcrossUnitsAndALateJoinerThereStartsAtAKeyframe() async throws {
        let (csm, units) = try await ClusterTests.startCluster(units: 2, groups: 1, capacity: 2, threshold: 1, name: "csm-rtmp-relay")
        let rtmp = try #require(units.units[0].address.rtmpPort)
        let key = try await Self.streamKey(csm, title: "across units")
        let publisher = try Self.publisher(to: "rtmp://127.0.0.1:\(rtmp)/live/\(key.key)", seconds: 60)
        #expect(try await eventually { try await !Self.channels(csm).isEmpty }, "\(publisher.text)")
        let channel = try #require(try await Self.channels(csm).first).channel
        var viewers: [(SessionClient, JoinChannelResponse)] = []
        while viewers.count < 4, !viewers.contains(where: { $0.1.unit.unit == 2 }) {
            viewers.append(try await csm.http.watch(channel, udp: false, name: "v\(viewers.count)"))
        }
        let (late, place) = try #require(viewers.last)
        #expect(place.unit.unit == 2 && place.videoCodec == .h264, "the channel grew to unit 2: \(viewers.map(\.1.unit.unit))")
        let recorder = EventRecorder(late, keepingMedia: true)
        late.send(.setMode(.tcp, reason: "test"))
        var depacketizer = H264Depacketizer()
        let got = await recorder.wait { recorded in recorded.packets.count { $0.packet.payloadType == RTPPayloadFormat.h264.payloadType } > 100 }
        #expect(got, "H.264 reached unit 2 over the relay link")
        let video = recorder.recorded.media.filter { $0.packet.payloadType == RTPPayloadFormat.h264.payloadType }
        let first = try #require(video.first)
        #expect(H264Packetizer.startsKeyframe(first.packet.payload.readableBytesView), "the first video packet starts a keyframe (the feed's fast start)")
        let whole = video.first { arrival in
            depacketizer.append(arrival.packet).contains { if case .accessUnit(_, true, _) = $0 { true } else { false } }
        }
        let picture = try #require(whole, "a whole keyframe came")
        print("late joiner on unit 2: first whole keyframe \(picture.at - first.at) after its first video packet")
        #expect(picture.at - first.at < .milliseconds(300))
        await Self.stop(publisher)
        for (viewer, _) in viewers { await viewer.close() }
        await csm.stop()
    }
}
