import COpus
import Foundation
import Ingest
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing
import Wire

/// The RTMP layer against a publisher this project did not write: ffmpeg pushes H.264 and AAC
/// (`-f flv rtmp://...`, as OBS's own RTMP output does) into a socket served by
/// `RTMPPublishSession`, and what comes out is what ffmpeg sent.
@Suite(.serialized) struct FFmpegPublishTests {
    /// What one connection's session said, for the test to read.
    final class Recorder: @unchecked Sendable {
        private let lock = NIOLock()
        private var events: [RTMPPublishSession.Event] = []
        private var failure: String?
        func add(_ new: [RTMPPublishSession.Event]) { lock.withLock { events += new } }
        func fail(_ error: Error) { lock.withLock { failure = "\(error)" } }
        var snapshot: (events: [RTMPPublishSession.Event], failure: String?) { lock.withLock { (events, failure) } }
    }

    final class SessionHandler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        typealias OutboundOut = ByteBuffer
        var session = RTMPPublishSession()
        var pending = ByteBufferAllocator().buffer(capacity: 0)
        let recorder: Recorder
        init(recorder: Recorder) { self.recorder = recorder }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var bytes = unwrapInboundIn(data)
            pending.writeBuffer(&bytes)
            do {
                let output = try session.received(&pending)
                pending.discardReadBytes()
                recorder.add(output.events)
                if output.send.readableBytes > 0 { context.writeAndFlush(wrapOutboundOut(output.send), promise: nil) }
            } catch {
                recorder.fail(error)
                context.close(promise: nil)
            }
        }
    }

    static func ffmpeg() -> String? {
        ["/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// ffmpeg publishes 2 s of the test pattern (H.264, no B-frames, a keyframe a second) and a
    /// 440 Hz tone (AAC) to a server of `RTMPPublishSession`s: what the session said.
    static func publish() async throws -> (events: [RTMPPublishSession.Event], failure: String?) {
        let ffmpeg = try #require(Self.ffmpeg(), "ffmpeg is installed by scripts/install-deps.sh --test")
        let recorder = Recorder()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(SessionHandler(recorder: recorder)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let port = try #require(server.localAddress?.port)
        let said = try run(ffmpeg, [
            "-hide_banner", "-loglevel", "error", "-re",
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-bf", "0", "-g", "25",
            "-c:a", "aac", "-b:a", "96k", "-f", "flv", "rtmp://127.0.0.1:\(port)/live/stream-key-1",
        ])
        #expect(said.status == 0, "ffmpeg: \(said.errors)")
        // The last bytes may still be on their way through the server's loop.
        for _ in 0..<40 where !recorder.snapshot.events.contains(.unpublished) { try await Task.sleep(for: .milliseconds(50)) }
        return recorder.snapshot
    }

    /// Runs a tool to its end, or for `timeout` at most: its exit status and what it wrote on
    /// standard error (a few lines: the tools run at -loglevel error).
    static func run(_ tool: String, _ arguments: [String], timeout: Double = 30) throws -> (status: Int32, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        let ended = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in ended.signal() }
        try process.run()
        if ended.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            ended.wait()
        }
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (process.terminationStatus, said)
    }

    @Test func ffmpegPublishesH264AndAACWithItsStreamKey() async throws {
        let (events, failure) = try await Self.publish()
        #expect(failure == nil)
        #expect(events.first == .connected(app: "live"))
        #expect(events.contains(.publishing(key: "stream-key-1")))
        let metadata = events.compactMap { if case .metadata(let value) = $0 { value } else { nil } }.first
        #expect(metadata?["videocodecid"]?.numberValue == 7, "H.264 (FLV codec 7)")
        #expect(metadata?["audiocodecid"]?.numberValue == 10, "AAC (FLV codec 10)")
        let video = events.compactMap { if case .video(let tag, let time) = $0 { (tag, time) } else { nil } }
        let audio = events.compactMap { if case .audio(let tag, let time) = $0 { (tag, time) } else { nil } }
        print("ffmpeg over RTMP: \(video.count) video tags, \(audio.count) audio tags, last at \(video.last?.1 ?? 0) ms")
        // FLV video tags: frame type and codec in the first byte, then the AVC packet type.
        #expect(video.first.map { [$0.0.getInteger(at: $0.0.readerIndex, as: UInt8.self), $0.0.getInteger(at: $0.0.readerIndex + 1, as: UInt8.self)] } == [0x17, 0],
            "the AVC sequence header (SPS and PPS) comes first, as a keyframe tag")
        #expect(video.count >= 45, "about 2 s of 25 fps")
        #expect(video.count(where: { $0.0.getInteger(at: $0.0.readerIndex, as: UInt8.self) == 0x17 }) >= 2, "keyframes at least every 25 frames")
        #expect(zip(video, video.dropFirst()).allSatisfy { $0.1 <= $1.1 }, "timestamps in order")
        #expect(audio.first.map { $0.0.getInteger(at: $0.0.readerIndex, as: UInt8.self) } == 0xAF, "AAC, 44 kHz flag, 16-bit, stereo flag")
        #expect(audio.count >= 80, "about 2 s of 1024-sample AAC frames at 48 kHz")
        #expect(events.last == .unpublished || events.contains(.unpublished), "ffmpeg says when it stops")
    }

    @Test func itsH264ReachesAnotherFFmpegAsRTPAndDecodesFrameForFrame() async throws {
        let ffmpeg = try #require(Self.ffmpeg())
        let (events, failure) = try await Self.publish()
        #expect(failure == nil)
        var ingest = H264Ingest()
        var units: [H264Ingest.AccessUnit] = []
        for case .video(let tag, let milliseconds) in events {
            if let unit = try ingest.take(tag, milliseconds: milliseconds) { units.append(unit) }
        }
        #expect(ingest.configuration?.sps.count == 1 && ingest.configuration?.pps.count == 1)
        #expect(units.first?.keyframe == true, "the stream starts at a keyframe")
        let keyframes = units.filter(\.keyframe)
        #expect(keyframes.allSatisfy { Set($0.nalUnits.map { $0[0] & 0x1F }).isSuperset(of: [7, 8, 5]) }, "SPS and PPS before every IDR")
        let first = units.firstIndex { $0.keyframe }
        let start = try #require(first)
        units = Array(units[start...])

        // A receiver that knows the stream only from an SDP, as a player of `viewer --rtp-out` would.
        let probe = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(probe.localAddress?.port)
        try await probe.close()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("h264-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let sdp = directory.appendingPathComponent("stream.sdp").path
        let frames = directory.appendingPathComponent("frames.yuv").path
        try """
            v=0
            o=- 0 0 IN IP4 127.0.0.1
            s=avcluster ingest test
            c=IN IP4 127.0.0.1
            t=0 0
            m=video \(port) RTP/AVP 96
            a=rtpmap:96 H264/90000
            a=fmtp:96 packetization-mode=1

            """.write(toFile: sdp, atomically: true, encoding: .utf8)
        let wanted = 40
        let decoder = Task.detached {
            try Self.run(ffmpeg, [
                "-hide_banner", "-loglevel", "error", "-protocol_whitelist", "file,udp,rtp", "-i", sdp,
                "-frames:v", "\(wanted)", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-y", frames,
            ], timeout: 20)
        }
        // Once it listens (its socket in /proc/net/udp), from the first keyframe: what it reads
        // first is SPS, PPS and an IDR, as a viewer joining at a keyframe gets. Sent again
        // (timestamps going on) until it has all the frames it wants.
        let hexPort = String(format: ":%04X ", port)
        for _ in 0..<200 {
            if (try? String(contentsOfFile: "/proc/net/udp", encoding: .utf8))?.contains(hexPort) == true { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        let sender = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        defer { sender.close(promise: nil) }
        let destination = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        var rtp = RTPSender(payloadType: 96)
        let packetizer = H264Packetizer()
        var packets = 0
        var largest = 0
        let span = (units.last?.timestamp ?? 0) &- (units.first?.timestamp ?? 0) &+ 3600
        for round in 0..<20 {
            for unit in units {
                let payloads = packetizer.payloads(for: unit.nalUnits)
                for (index, payload) in payloads.enumerated() {
                    let packet = rtp.packet(
                        payload: payload, timestamp: unit.timestamp &+ UInt32(round) &* span, marker: index == payloads.count - 1,
                        capturedAt: CaptureTime(microsecondsSinceEpoch: 0))
                    largest = max(largest, packet.readableBytes)
                    try await sender.writeAndFlush(AddressedEnvelope(remoteAddress: destination, data: packet))
                    packets += 1
                }
                try await Task.sleep(for: .milliseconds(4))
            }
            if FileManager.default.fileExists(atPath: frames), (try? FileManager.default.attributesOfItem(atPath: frames)[.size] as? Int) ?? 0 >= wanted * 320 * 240 * 3 / 2 { break }
        }
        let decoded = try await decoder.value
        print("H.264 over RTP: \(units.count) access units (\(keyframes.count) keyframes), \(packets) packets sent, the largest \(largest) bytes")
        #expect(decoded.status == 0 && !decoded.errors.contains("rror"), "the decoder: \(decoded.errors)")
        #expect(largest <= 1200, "packets within 1200 bytes (FU-A for larger NAL units)")
        let picture = try Data(contentsOf: URL(fileURLWithPath: frames))
        #expect(picture.count == wanted * 320 * 240 * 3 / 2, "\(wanted) whole frames decoded")
        // The test pattern, not a grey or green frame: its luma spans dark to bright.
        let luma = picture.prefix(320 * 240)
        #expect((luma.max() ?? 0) > 200 && (luma.min() ?? 255) < 60)
    }

    @Test func itsAACBecomesOpusThatStillSoundsAt440Hz() async throws {
        let (events, failure) = try await Self.publish()
        #expect(failure == nil)
        var transcoder: AACToOpus?
        var opus: [[UInt8]] = []
        for case .audio(let tag, _) in events {
            switch try FLVAudioTag(parsing: Array(tag.readableBytesView)) {
            case .configuration(let config): transcoder = try AACToOpus(audioSpecificConfig: config)
            case .frame(let frame): opus += try transcoder?.take(frame) ?? []
            }
        }
        print("AAC to Opus: \(opus.count) frames of 20 ms, \(opus.map(\.count).reduce(0, +) / max(opus.count, 1)) bytes each on average")
        #expect((90...106).contains(opus.count), "about 2 s in 20 ms frames")
        // Decoded by libopus as a viewer would: the tone is still 440 Hz.
        var error: Int32 = 0
        let decoder = try #require(opus_decoder_create(48_000, 2, &error))
        defer { opus_decoder_destroy(decoder) }
        var left: [Int16] = []
        for packet in opus {
            var pcm = [Int16](repeating: 0, count: 960 * 2)
            let samples = opus_decode(decoder, packet, Int32(packet.count), &pcm, 960, 0)
            #expect(samples == 960)
            left += stride(from: 0, to: Int(max(samples, 0)) * 2, by: 2).map { pcm[$0] }
        }
        let steady = left.dropFirst(48_000 / 5)  // past the codecs' start-up
        let crossings = zip(steady, steady.dropFirst()).count { $0 < 0 && $1 >= 0 }
        let hertz = Double(crossings) / (Double(steady.count) / 48_000)
        print("the tone after AAC and Opus: \(String(format: "%.1f", hertz)) Hz, peak \(steady.map { abs(Int($0)) }.max() ?? 0)")
        #expect(abs(hertz - 440) < 5)
        #expect((steady.map { abs(Int($0)) }.max() ?? 0) > 2000, "not silence")
    }

    @Test func otherAudioCodecsAreRefused() {
        #expect(throws: RTMPError.self) { try FLVAudioTag(parsing: [0x2F, 1, 0xFF]) }  // MP3
        #expect(throws: RTMPError.self) { try FLVAudioTag(parsing: [0xAF]) }
        #expect(throws: RTMPError.self) { try AACToOpus(audioSpecificConfig: []) }
    }
}
