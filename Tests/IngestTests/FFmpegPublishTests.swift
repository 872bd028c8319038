import Foundation
import Ingest
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

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

    @Test func ffmpegPublishesH264AndAACWithItsStreamKey() async throws {
        let ffmpeg = try #require(Self.ffmpeg(), "ffmpeg is installed by scripts/install-deps.sh --test")
        let recorder = Recorder()
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(SessionHandler(recorder: recorder)) }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        defer { server.close(promise: nil) }
        let port = try #require(server.localAddress?.port)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments = [
            "-hide_banner", "-loglevel", "error", "-re",
            "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
            "-t", "2", "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency", "-bf", "0", "-g", "25",
            "-c:a", "aac", "-b:a", "96k", "-f", "flv", "rtmp://127.0.0.1:\(port)/live/stream-key-1",
        ]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        let said = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "ffmpeg: \(said)")

        let (events, failure) = recorder.snapshot
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
}
